"""From an S3 ObjectCreated notification to a queued document with a running execution."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from idp_common import uploads
from idp_common.config_cache import ConfigCache
from idp_common.documents import DocumentStore
from idp_common.errors import TransitionRejectedError
from idp_common.finalize import Notify, finish
from idp_common.flow import ExecutionInput
from idp_common.status import TERMINAL, DocumentStatus


class S3Object(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)
    key: str
    size: int = Field(ge=0)


class S3Bucket(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)
    name: str


class S3Entity(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)
    bucket: S3Bucket
    object: S3Object


class S3EventRecord(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)
    eventName: str
    s3: S3Entity


class S3Notification(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)
    Records: list[S3EventRecord] = Field(min_length=1)


def parse_notification(body: str) -> S3Notification | None:
    """None for S3's `s3:TestEvent`; raises (pydantic/JSON error) for anything malformed."""
    data: Any = json.loads(body)
    if isinstance(data, dict) and data.get("Event") == "s3:TestEvent":
        return None
    return S3Notification.model_validate(data)


class Disposition(StrEnum):
    STARTED = "started"
    DUPLICATE = "duplicate"
    UNKNOWN_UPLOAD = "unknown_upload"
    REJECTED = "rejected"


@dataclass(frozen=True)
class IntakeResult:
    disposition: Disposition
    document_id: str | None
    detail: str = ""


class Intake:
    """One S3 object -> QUEUED + StartExecution(name=document_id). Safe to repeat for the same object."""

    def __init__(
        self,
        *,
        store: DocumentStore,
        configs: ConfigCache,
        sfn: Any,
        state_machine_arn: str,
        bda_deadline_seconds: int,
        s3: Any,
        notify: Notify,
    ) -> None:
        self._store = store
        self._configs = configs
        self._sfn = sfn
        self._arn = state_machine_arn
        self._bda_deadline = bda_deadline_seconds
        self._s3 = s3
        self._notify = notify

    def accept(self, record: S3EventRecord) -> IntakeResult:
        key = record.s3.object.key
        document_id = uploads.document_id_from_key(key)
        doc = self._store.get(document_id) if document_id else None
        if doc is None or doc.object_key != uploads.unquote_key(key):
            return IntakeResult(Disposition.UNKNOWN_UPLOAD, document_id, f"no pending document for object {key!r}")
        if doc.status is DocumentStatus.PENDING_UPLOAD:
            max_bytes = self._configs.get(doc.document_type).config.max_upload_bytes
            size = record.s3.object.size
            if size > max_bytes:
                reason = f"uploaded object is {size} bytes; {doc.document_type} allows at most {max_bytes}"
                self._reject(doc.document_id, record.s3.bucket.name, doc.object_key, reason)
                return IntakeResult(Disposition.REJECTED, doc.document_id, reason)
            try:
                doc = self._store.transition(doc.document_id, DocumentStatus.QUEUED, size_bytes=size)
            except TransitionRejectedError:
                return IntakeResult(Disposition.DUPLICATE, doc.document_id, "already queued by another event")
        if doc.status in TERMINAL or doc.status is DocumentStatus.PROCESSING:
            return IntakeResult(Disposition.DUPLICATE, doc.document_id, f"already {doc.status}")
        # QUEUED: start (again). Execution name = document id, so a repeat is a no-op.
        execution = ExecutionInput(
            document_id=doc.document_id,
            document_type=doc.document_type,
            bucket=record.s3.bucket.name,
            key=doc.object_key,
            bda_deadline_seconds=self._bda_deadline,
        )
        try:
            self._sfn.start_execution(
                stateMachineArn=self._arn, name=doc.document_id, input=execution.model_dump_json()
            )
        except self._sfn.exceptions.ExecutionAlreadyExists:
            return IntakeResult(Disposition.DUPLICATE, doc.document_id, "execution already exists")
        return IntakeResult(Disposition.STARTED, doc.document_id)

    def _reject(self, document_id: str, bucket: str, key: str, reason: str) -> None:
        # The object goes first: a retry after a failed delete finds the document FAILED (a duplicate)
        # and would leave the oversized object behind until retention.
        self._s3.delete_object(Bucket=bucket, Key=key)
        finish(self._store, document_id, DocumentStatus.FAILED, self._notify, status_reason=reason)
