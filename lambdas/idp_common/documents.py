"""The documents table: records and status changes, enforced with DynamoDB conditional writes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from idp_common.errors import TransitionRejectedError
from idp_common.status import DocumentStatus, sources_of

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

STATUS_INDEX = "status-created_at-index"


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class DocumentRecord(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    document_id: str
    document_type: str
    status: DocumentStatus
    created_at: str
    updated_at: str
    object_key: str
    content_type: str
    filename: str
    callback_url: str | None = None
    status_reason: str | None = None
    language: str | None = None
    confidence: float | None = None
    output_key: str | None = None
    size_bytes: int | None = None
    callback_status: str | None = None
    owner: str | None = None  # the caller that created it (idp_common.callers); only it may read it
    expires_at: int | None = None  # DynamoDB TTL (epoch seconds)
    # The BDA job of a PROCESSING document, and the token of the execution task waiting for it.
    bda_invocation_arn: str | None = None
    bda_task_token: str | None = None


_NUMBER_FIELDS = {"confidence", "size_bytes", "expires_at"}


def _attr(key: str, value: object) -> dict[str, str]:
    return {"N": str(value)} if key in _NUMBER_FIELDS else {"S": str(value)}


def _set(updates: dict[str, Any]) -> tuple[str, dict[str, str], dict[str, Any]]:
    """`SET #f0 = :v0, ...` for the fields given, with its attribute names and typed values."""
    names = {f"#f{i}": key for i, key in enumerate(updates)}
    values = {f":v{i}": _attr(key, value) for i, (key, value) in enumerate(updates.items())}
    return "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(updates))), names, values


def _to_item(values: dict[str, Any]) -> dict[str, Any]:
    return {key: _attr(key, value) for key, value in values.items() if value is not None}


def _from_item(item: dict[str, Any]) -> DocumentRecord:
    values: dict[str, Any] = {}
    for key, typed in item.items():
        if "N" in typed:
            number = typed["N"]
            values[key] = float(number) if key == "confidence" else int(number)
        elif "S" in typed:
            values[key] = typed["S"]
    return DocumentRecord.model_validate(values)


class DocumentStore:
    def __init__(self, dynamodb: DynamoDBClient, table: str) -> None:
        self._db = dynamodb
        self._table = table

    def create(self, record: DocumentRecord) -> None:
        self._db.put_item(
            TableName=self._table,
            Item=_to_item(record.model_dump()),
            ConditionExpression="attribute_not_exists(document_id)",
        )

    def get(self, document_id: str) -> DocumentRecord | None:
        item = self._db.get_item(TableName=self._table, Key={"document_id": {"S": document_id}}, ConsistentRead=True)
        return _from_item(item["Item"]) if "Item" in item else None

    def transition(self, document_id: str, target: DocumentStatus, **fields: Any) -> DocumentRecord:
        """Move to `target` only from a status that allows it, else raise TransitionRejectedError."""
        sources = sorted(sources_of(target))
        if not sources:
            raise TransitionRejectedError(document_id, target, None)
        updates = {"status": target.value, "updated_at": iso(utcnow())}
        updates |= {key: value for key, value in fields.items() if value is not None}
        expression, names, values = _set(updates)
        names |= {"#status": "status"}
        values |= {f":s{i}": {"S": source.value} for i, source in enumerate(sources)}
        allowed = ", ".join(f":s{i}" for i in range(len(sources)))
        condition = f"attribute_exists(document_id) AND #status IN ({allowed})"
        try:
            response = self._db.update_item(
                TableName=self._table,
                Key={"document_id": {"S": document_id}},
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
                # A refused change returns the item as it is: no second read to say why.
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            item: dict[str, Any] | None = exc.response.get("Item")  # type: ignore[assignment]
            record = _from_item(item) if item else None
            raise TransitionRejectedError(document_id, target, record.status if record else None, record) from exc
        return _from_item(response["Attributes"])

    def record_callback(self, document_id: str, outcome: str, *, first: bool = False) -> None:
        """Callback outcome only: never touches the status. first: only if no outcome is recorded yet
        ("queued" must not overwrite what the sender, quicker, has already recorded)."""
        condition = "attribute_exists(document_id)"
        if first:
            condition += " AND attribute_not_exists(callback_status)"
        try:
            self._db.update_item(
                TableName=self._table,
                Key={"document_id": {"S": document_id}},
                UpdateExpression="SET callback_status = :c",
                ConditionExpression=condition,
                ExpressionAttributeValues={":c": {"S": outcome[:500]}},
            )
        except ClientError as exc:
            if not first or exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def track_bda(self, document_id: str, **fields: str) -> None:
        """Record the BDA job's task token / invocation on a PROCESSING document; a document that has
        moved on (ended at its deadline, say) is left as it is: TransitionRejectedError."""
        expression, names, values = _set(fields)
        names |= {"#status": "status"}
        values[":processing"] = {"S": DocumentStatus.PROCESSING.value}
        try:
            self._db.update_item(
                TableName=self._table,
                Key={"document_id": {"S": document_id}},
                UpdateExpression=expression,
                ConditionExpression="#status = :processing",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            raise TransitionRejectedError(document_id, "a tracked BDA job", "not PROCESSING") from exc

    def by_status(self, status: DocumentStatus, created_before: str) -> Iterator[DocumentRecord]:
        """All documents in `status` created before an ISO timestamp (paginated GSI query)."""
        paginator = self._db.get_paginator("query")
        for page in paginator.paginate(
            TableName=self._table,
            IndexName=STATUS_INDEX,
            KeyConditionExpression="#s = :s AND created_at < :before",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": {"S": status.value}, ":before": {"S": created_before}},
        ):
            for item in page.get("Items", []):
                # The GSI projects all attributes, so the record is complete.
                yield _from_item(item)

    def delete(self, document_id: str) -> None:
        self._db.delete_item(TableName=self._table, Key={"document_id": {"S": document_id}})
