"""sqs_poller: S3 notifications -> QUEUED + one execution per document, whatever the duplicates."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

import sqs_poller.app as poller
from idp.local.demo import s3_notification
from idp.local.event_source import sqs_event
from idp.local.lambda_router import LocalContext
from idp.local.receiver import CallbackReceiver
from idp_common.documents import DocumentRecord, DocumentStore, iso, utcnow
from idp_common.status import DocumentStatus
from tests.conftest import Stack

CTX = LocalContext("sqs_poller")


def pending(stack: Stack, size_limit_type: str = "passport", callback_url: str | None = None) -> DocumentRecord:
    document_id = str(uuid.uuid4())
    now = iso(utcnow())
    record = DocumentRecord(
        document_id=document_id,
        document_type=size_limit_type,
        status=DocumentStatus.PENDING_UPLOAD,
        created_at=now,
        updated_at=now,
        object_key=f"uploads/{document_id}/my scan.pdf",
        content_type="application/pdf",
        filename="my scan.pdf",
        callback_url=callback_url,
    )
    DocumentStore(stack.client("dynamodb"), stack.names.documents_table).create(record)
    return record


def deliver(stack: Stack, *bodies: str) -> dict[str, Any]:
    messages = [{"MessageId": f"m{i}", "ReceiptHandle": f"r{i}", "Body": body} for i, body in enumerate(bodies)]
    return dict(poller.handler(sqs_event(messages, "arn:aws:sqs:eu-west-1:123456789012:q", "eu-west-1"), CTX))


def status_of(stack: Stack, document_id: str) -> DocumentStatus:
    record = DocumentStore(stack.client("dynamodb"), stack.names.documents_table).get(document_id)
    assert record is not None
    return record.status


def executions(stack: Stack) -> list[dict[str, Any]]:
    sfn = stack.client("stepfunctions")
    return list(sfn.list_executions(stateMachineArn=stack.names.state_machine_arn)["executions"])


@pytest.fixture(autouse=True)
def _no_flow(stack: Stack) -> None:
    # Only intake is under test here: the executions it starts need not run their tasks.
    for function in ("status_updater",):
        stack.cloud.router.register(stack.names.function(function), lambda event, ctx: {"status": "ok"})


def test_url_encoded_key_is_queued_and_started_once(stack: Stack) -> None:
    doc = pending(stack)
    encoded = doc.object_key.replace(" ", "+")
    body = s3_notification(stack.names.input_bucket, encoded, 1234)
    result = deliver(stack, body, body)  # the same event twice in one batch
    assert result == {"batchItemFailures": []}
    assert status_of(stack, doc.document_id) is not DocumentStatus.PENDING_UPLOAD
    assert [e["name"] for e in executions(stack)] == [doc.document_id]
    deliver(stack, body)  # and once more later
    assert len(executions(stack)) == 1


def test_s3_test_event_is_skipped(stack: Stack) -> None:
    assert deliver(stack, json.dumps({"Event": "s3:TestEvent", "Bucket": "b"})) == {"batchItemFailures": []}
    assert executions(stack) == []


def test_unknown_upload_is_recorded_not_retried(stack: Stack) -> None:
    body = s3_notification(stack.names.input_bucket, f"uploads/{uuid.uuid4()}/x.pdf", 10)
    assert deliver(stack, body) == {"batchItemFailures": []}
    assert executions(stack) == []


def test_oversized_upload_fails_the_document_and_removes_the_object(stack: Stack) -> None:
    doc = pending(stack)
    s3 = stack.client("s3")
    s3.put_object(Bucket=stack.names.input_bucket, Key=doc.object_key, Body=b"x")
    deliver(stack, s3_notification(stack.names.input_bucket, doc.object_key, 50 * 1024 * 1024))
    record = DocumentStore(stack.client("dynamodb"), stack.names.documents_table).get(doc.document_id)
    assert record is not None
    assert record.status is DocumentStatus.FAILED
    assert "allows at most" in (record.status_reason or "")
    assert s3.list_objects_v2(Bucket=stack.names.input_bucket, Prefix=doc.object_key).get("KeyCount") == 0


def test_a_rejected_upload_is_announced_once(stack: Stack) -> None:
    receiver = CallbackReceiver(stack.deployment.callback_secret)
    receiver.start()
    try:
        doc = pending(stack, callback_url=receiver.url)
        oversized = s3_notification(stack.names.input_bucket, doc.object_key, 50 * 1024 * 1024)
        deliver(stack, oversized)
        deliver(stack, oversized)  # S3 delivers at least once: the repeat must not announce again
        assert stack.deliver_callbacks(rounds=2) == 1
    finally:
        receiver.stop()
    (call,) = receiver.for_document(doc.document_id)
    assert call.signature_valid
    assert call.payload["status"] == "FAILED"
    assert "allows at most" in call.payload["status_reason"]
    record = DocumentStore(stack.client("dynamodb"), stack.names.documents_table).get(doc.document_id)
    assert record is not None
    assert record.callback_status == "delivered"


def test_malformed_message_is_a_partial_batch_failure(stack: Stack) -> None:
    doc = pending(stack)
    good = s3_notification(stack.names.input_bucket, doc.object_key, 10)
    result = deliver(stack, good, "{not json", s3_notification(stack.names.input_bucket, doc.object_key, "NaN"))
    assert result == {"batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m2"}]}
    assert status_of(stack, doc.document_id) is DocumentStatus.QUEUED
