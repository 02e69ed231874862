"""status_updater, document_cleanup and dlq_analyzer against moto."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest

import dlq_analyzer.app as dlq_app
import document_cleanup.app as cleanup_app
import status_updater.app as status_app
from idp.local.demo import s3_notification
from idp.local.lambda_router import LocalContext
from idp.local.receiver import CallbackReceiver
from idp_common import uploads
from idp_common.dead_letters import FailureClass, classify_message
from idp_common.documents import DocumentRecord, DocumentStore, iso, utcnow
from idp_common.status import DocumentStatus
from tests.conftest import Stack


def store(stack: Stack) -> DocumentStore:
    return DocumentStore(stack.client("dynamodb"), stack.names.documents_table)


def new_doc(stack: Stack, status: DocumentStatus = DocumentStatus.PENDING_UPLOAD, **kw: object) -> DocumentRecord:
    document_id = str(uuid.uuid4())
    now = iso(utcnow())
    values = {
        "document_id": document_id,
        "document_type": "invoice",
        "status": DocumentStatus.PENDING_UPLOAD,
        "created_at": now,
        "updated_at": now,
        "object_key": f"uploads/{document_id}/a.pdf",
        "content_type": "application/pdf",
        "filename": "a.pdf",
    } | kw
    record = DocumentRecord.model_validate(values)
    s = store(stack)
    s.create(record)
    path = {
        DocumentStatus.QUEUED: [DocumentStatus.QUEUED],
        DocumentStatus.PROCESSING: [DocumentStatus.QUEUED, DocumentStatus.PROCESSING],
        DocumentStatus.COMPLETED: [DocumentStatus.QUEUED, DocumentStatus.PROCESSING, DocumentStatus.COMPLETED],
    }.get(status, [])
    for step in path:
        record = s.transition(document_id, step)
    return record


def processed_event(document_id: str, reasons: list[str] | None = None) -> dict[str, object]:
    return {
        "outcome": "processed",
        "document_id": document_id,
        "language": {"language": "en", "confidence": 0.99, "reasons": []},
        "classification": {"detected_type": "invoice", "confidence": 0.95, "reasons": reasons or []},
        "extraction": {"output_key": f"results/{document_id}.json", "overall_confidence": 0.93, "reasons": []},
    }


def test_terminal_status_with_one_signed_callback(stack: Stack) -> None:
    receiver = CallbackReceiver(stack.deployment.callback_secret)
    receiver.start()
    try:
        doc = new_doc(stack, DocumentStatus.PROCESSING, callback_url=receiver.url)
        ctx = LocalContext("status_updater")
        assert status_app.handler(processed_event(doc.document_id), ctx)["status"] == "COMPLETED"
        # A retried task changes nothing and sends nothing twice.
        assert status_app.handler(processed_event(doc.document_id), ctx)["status"] == "unchanged"
        assert stack.deliver_callbacks() == 1  # one queued callback, delivered from the queue
    finally:
        receiver.stop()
    calls = receiver.for_document(doc.document_id)
    assert len(calls) == 1
    assert calls[0].signature_valid
    assert calls[0].payload["status"] == "COMPLETED"
    record = store(stack).get(doc.document_id)
    assert record is not None
    assert (record.callback_status, record.confidence) == ("delivered", 0.93)


def test_low_confidence_and_failed_callbacks_never_block_status(stack: Stack) -> None:
    doc = new_doc(stack, DocumentStatus.PROCESSING, callback_url="http://127.0.0.1:9/down")
    result = status_app.handler(processed_event(doc.document_id, ["declared type 'x'"]), LocalContext("s"))
    assert result["status"] == "LOW_CONFIDENCE"
    record = store(stack).get(doc.document_id)
    assert record is not None
    assert record.status_reason == "declared type 'x'"
    assert record.callback_status == "queued"
    assert stack.deliver_callbacks() == 1  # the receiver is down: retried later, the status stands
    record = store(stack).get(doc.document_id)
    assert record is not None
    assert record.status is DocumentStatus.LOW_CONFIDENCE
    assert (record.callback_status or "").startswith("retrying in ")
    assert "(attempt 1 of 3): NewConnectionError" in (record.callback_status or "")


def test_failure_from_the_state_machine(stack: Stack) -> None:
    doc = new_doc(stack, DocumentStatus.PROCESSING)
    event = {"outcome": "failed", "document_id": doc.document_id, "error": {"Error": "States.Timeout", "Cause": "x"}}
    assert status_app.handler(event, LocalContext("s"))["status"] == "FAILED"
    completed = new_doc(stack, DocumentStatus.COMPLETED)
    with pytest.raises(Exception, match="cannot move to FAILED"):
        status_app.handler({**event, "document_id": completed.document_id}, LocalContext("s"))


def test_cleanup_expires_stale_uploads_and_purges_old_documents(stack: Stack) -> None:
    long_ago = iso(utcnow() - timedelta(days=400))
    stale = new_doc(stack, created_at=iso(utcnow() - timedelta(hours=2)))
    fresh = new_doc(stack)
    old = new_doc(stack, DocumentStatus.COMPLETED, created_at=long_ago)
    s3 = stack.client("s3")
    s3.put_object(Bucket=stack.names.output_bucket, Key=uploads.result_key(old.document_id), Body=b"{}")
    s3.put_object(Bucket=stack.names.input_bucket, Key=old.object_key, Body=b"pdf")
    result = cleanup_app.handler({}, LocalContext("document_cleanup"))
    assert result["expired"] == [stale.document_id]
    assert result["purged"] == [old.document_id]
    assert store(stack).get(old.document_id) is None
    assert s3.list_objects_v2(Bucket=stack.names.output_bucket).get("KeyCount") == 0
    fresh_record = store(stack).get(fresh.document_id)
    assert fresh_record is not None
    assert fresh_record.status is DocumentStatus.PENDING_UPLOAD
    # Safe to re-run: nothing left to do.
    again = cleanup_app.handler({}, LocalContext("document_cleanup"))
    assert again == {"expired": [], "purged": [], "skipped": [], "overdue": []}


def test_documents_stuck_past_their_deadline_end_failed_announced_and_released(stack: Stack) -> None:
    from idp_common.bda_slots import BdaSlots

    hours_ago = iso(utcnow() - timedelta(hours=3))
    queued = new_doc(stack, DocumentStatus.QUEUED, created_at=hours_ago, callback_url="https://example.com/cb")
    stuck = new_doc(stack, DocumentStatus.PROCESSING, created_at=hours_ago)
    busy = new_doc(stack, DocumentStatus.PROCESSING, created_at=hours_ago)  # changed a minute ago: on time
    db = stack.client("dynamodb")
    for document_id, moment in ((queued.document_id, hours_ago), (stuck.document_id, hours_ago)):
        db.update_item(
            TableName=stack.names.documents_table,
            Key={"document_id": {"S": document_id}},
            UpdateExpression="SET updated_at = :u",
            ExpressionAttributeValues={":u": {"S": moment}},
        )
    slots = BdaSlots(db, stack.names.documents_table, bound=5)
    assert slots.take(stuck.document_id)
    result = cleanup_app.handler({}, LocalContext("document_cleanup"))
    assert sorted(result["overdue"]) == sorted([queued.document_id, stuck.document_id])
    ended = store(stack).get(stuck.document_id)
    assert ended is not None
    assert ended.status is DocumentStatus.FAILED
    assert (ended.status_reason or "").startswith("overdue: PROCESSING for more than 7200 s (last change ")
    on_time = store(stack).get(busy.document_id)
    assert on_time is not None
    assert on_time.status is DocumentStatus.PROCESSING
    assert slots.holders() == set()  # the stuck document's BDA slot is free again
    announced = store(stack).get(queued.document_id)
    assert announced is not None
    assert announced.callback_status == "queued"  # announced through the callbacks queue
    assert cleanup_app.handler({}, LocalContext("document_cleanup"))["overdue"] == []


@pytest.mark.parametrize(
    ("body", "failure"),
    [
        ("{oops", FailureClass.MALFORMED),
        (json.dumps({"hello": 1}), FailureClass.MALFORMED),
        (s3_notification("b", "elsewhere/x.pdf", 1), FailureClass.UNATTRIBUTABLE),
        (s3_notification("b", "uploads/0b7e1b9e-8c1f-4a53-9d7e-1f0f7a1c2d3e/x.pdf", "NaN"), FailureClass.PROCESSING),
    ],
    ids=["not-json", "not-s3", "no-document-id", "document"],
)
def test_dead_letters_are_classified(body: str, failure: FailureClass) -> None:
    assert classify_message(body, 3).failure is failure


def test_documents_ended_by_the_dlq_or_by_expiry_are_announced(stack: Stack) -> None:
    receiver = CallbackReceiver(stack.deployment.callback_secret)
    receiver.start()
    try:
        queued = new_doc(stack, DocumentStatus.QUEUED, callback_url=receiver.url)
        stale = new_doc(stack, created_at=iso(utcnow() - timedelta(hours=2)), callback_url=receiver.url)
        poison = s3_notification("b", queued.object_key, "NaN")
        stack.client("sqs").send_message(QueueUrl=stack.deployment.dlq_url, MessageBody=poison)
        assert dlq_app.handler({}, LocalContext("dlq_analyzer"))["failed_documents"] == [queued.document_id]
        assert cleanup_app.handler({}, LocalContext("document_cleanup"))["expired"] == [stale.document_id]
        # Run again: both are terminal now, nothing is announced twice.
        stack.client("sqs").send_message(QueueUrl=stack.deployment.dlq_url, MessageBody=poison)
        assert dlq_app.handler({}, LocalContext("dlq_analyzer"))["failed_documents"] == []
        assert cleanup_app.handler({}, LocalContext("document_cleanup"))["expired"] == []
        assert stack.deliver_callbacks(rounds=2) == 2
    finally:
        receiver.stop()
    (failed,) = receiver.for_document(queued.document_id)
    (expired,) = receiver.for_document(stale.document_id)
    assert failed.signature_valid
    assert expired.signature_valid
    assert (failed.payload["status"], expired.payload["status"]) == ("FAILED", "EXPIRED")
    assert "moved to the DLQ" in failed.payload["status_reason"]
    assert expired.payload["status_reason"] == "upload never arrived"


def test_dlq_analyzer_marks_failed_or_redrives(stack: Stack) -> None:
    sqs = stack.client("sqs")
    a, b = new_doc(stack, DocumentStatus.QUEUED), new_doc(stack)
    dep = stack.deployment
    sqs.send_message(QueueUrl=dep.dlq_url, MessageBody=s3_notification("b", a.object_key, "NaN"))
    sqs.send_message(QueueUrl=dep.dlq_url, MessageBody="garbage")
    result = dlq_app.handler({}, LocalContext("dlq_analyzer"))
    assert result["failed_documents"] == [a.document_id]
    assert result["by_class"] == {"processing": 1, "malformed": 1}
    record = store(stack).get(a.document_id)
    assert record is not None
    assert record.status is DocumentStatus.FAILED
    assert "moved to the DLQ" in (record.status_reason or "")
    sqs.send_message(QueueUrl=dep.dlq_url, MessageBody=s3_notification("b", b.object_key, 5))
    redriven = dlq_app.handler({"redrive": True}, LocalContext("dlq_analyzer"))
    assert redriven["redriven"] == 1
    moved = sqs.receive_message(QueueUrl=dep.input_queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)["Messages"]
    assert [m for m in moved if b.object_key in m["Body"]]
