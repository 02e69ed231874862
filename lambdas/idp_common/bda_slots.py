"""The env's bound on BDA jobs in flight: a counting semaphore in one DynamoDB item.

The item holds the set of documents whose job runs (`holders`, a string set). Taking a slot adds the
document only while the set is below the bound - or already holds it, so a retried start takes no
second slot; giving it back deletes the document from the set. Both are single conditional updates,
idempotent, with no read-modify-write race. The item lives in the documents table under a key no
document id can take (ids are UUIDs; the status index leaves it out: it has no status).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

SLOTS_KEY = "#bda-jobs-in-flight"


def give_back(dynamodb: DynamoDBClient, table: str, document_id: str) -> None:
    """The document's slot, if it holds one (idempotent): its job has ended, or it has."""
    dynamodb.update_item(
        TableName=table,
        Key={"document_id": {"S": SLOTS_KEY}},
        UpdateExpression="DELETE holders :me",
        ExpressionAttributeValues={":me": {"SS": [document_id]}},
    )


@dataclass(frozen=True)
class BdaSlots:
    dynamodb: DynamoDBClient
    table: str
    bound: int

    def take(self, document_id: str) -> bool:
        """True if the document holds a slot now (taken, or held already); False if all are taken."""
        try:
            self.dynamodb.update_item(
                TableName=self.table,
                Key={"document_id": {"S": SLOTS_KEY}},
                UpdateExpression="ADD holders :me",
                ConditionExpression="attribute_not_exists(holders) OR size(holders) < :bound OR contains(holders, :id)",
                ExpressionAttributeValues={
                    ":me": {"SS": [document_id]},
                    ":bound": {"N": str(self.bound)},
                    ":id": {"S": document_id},
                },
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def give_back(self, document_id: str) -> None:
        give_back(self.dynamodb, self.table, document_id)

    def holders(self) -> set[str]:
        item = self.dynamodb.get_item(TableName=self.table, Key={"document_id": {"S": SLOTS_KEY}}, ConsistentRead=True)
        return set(item.get("Item", {}).get("holders", {}).get("SS", []))
