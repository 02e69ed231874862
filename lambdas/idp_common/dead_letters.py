"""Classify what landed in the DLQ, mark its document FAILED (or redrive it), and drain the queue."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from idp_common import uploads
from idp_common.documents import DocumentStore
from idp_common.errors import TransitionRejectedError
from idp_common.finalize import Notify, finish
from idp_common.status import DocumentStatus

MAX_BATCH = 10


class FailureClass(StrEnum):
    MALFORMED = "malformed"  # not JSON / not an S3 notification
    UNATTRIBUTABLE = "unattributable"  # a notification whose key names no document
    PROCESSING = "processing"  # a valid notification for a document that kept failing


@dataclass(frozen=True)
class DeadLetter:
    failure: FailureClass
    document_ids: list[str]
    reason: str


def classify_message(body: str, receive_count: int) -> DeadLetter:
    try:
        data: Any = json.loads(body)
    except json.JSONDecodeError:
        return DeadLetter(FailureClass.MALFORMED, [], "message body is not JSON")
    records = data.get("Records") if isinstance(data, dict) else None
    if not isinstance(records, list) or not records:
        return DeadLetter(FailureClass.MALFORMED, [], "message is not an S3 event notification")
    ids = []
    for record in records:
        key = record.get("s3", {}).get("object", {}).get("key") if isinstance(record, dict) else None
        document_id = uploads.document_id_from_key(key) if isinstance(key, str) else None
        if document_id:
            ids.append(document_id)
    if not ids:
        return DeadLetter(FailureClass.UNATTRIBUTABLE, [], "no document id in the object keys")
    return DeadLetter(FailureClass.PROCESSING, ids, f"intake failed {receive_count} times; message moved to the DLQ")


@dataclass
class DrainReport:
    received: int = 0
    failed_documents: list[str] = field(default_factory=list)
    redriven: int = 0
    by_class: dict[str, int] = field(default_factory=dict)


def drain(
    *,
    sqs: Any,
    store: DocumentStore,
    notify: Notify,
    dlq_url: str,
    input_queue_url: str,
    redrive: bool,
    max_messages: int,
) -> DrainReport:
    report = DrainReport()
    while report.received < max_messages:
        response = sqs.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=min(MAX_BATCH, max_messages - report.received),
            AttributeNames=["ApproximateReceiveCount"],
            WaitTimeSeconds=0,
        )
        messages = response.get("Messages", [])
        if not messages:
            break
        for message in messages:
            report.received += 1
            count = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "0"))
            letter = classify_message(message["Body"], count)
            report.by_class[letter.failure.value] = report.by_class.get(letter.failure.value, 0) + 1
            if redrive and letter.failure is FailureClass.PROCESSING:
                sqs.send_message(QueueUrl=input_queue_url, MessageBody=message["Body"])
                report.redriven += 1
            else:
                for document_id in letter.document_ids:
                    try:
                        finish(store, document_id, DocumentStatus.FAILED, notify, status_reason=letter.reason)
                    except TransitionRejectedError:
                        continue  # already terminal (or gone): nothing to mark
                    report.failed_documents.append(document_id)
            sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
    return report
