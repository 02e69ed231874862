"""Signed callbacks: the signature names its key (rotation), redirects are never followed, https only
outside the local run; the callbacks queue delivers durably (backoff with full jitter, dead-lettered
with the record saying so)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import boto3
import pytest
from botocore.stub import Stubber

from idp.local.receiver import CallbackReceiver
from idp_common import callback
from idp_common.callback_queue import CallbackQueue, CallbackSender, NotACallbackError, RetryLaterError, backoff_seconds
from idp_common.documents import DocumentStore
from tests.conftest import Stack


def test_signature_roundtrip_and_tampering() -> None:
    body = b'{"status":"COMPLETED"}'
    header = callback.sign("s3cret", body, int(time.time()))
    assert f"kid={callback.key_id('s3cret')}" in header
    assert callback.verify("s3cret", body, header)
    assert not callback.verify("other", body, header)
    assert not callback.verify("s3cret", body + b" ", header)
    assert not callback.verify("s3cret", body, "garbage")
    forged = header.replace(f"kid={callback.key_id('s3cret')}", f"kid={callback.key_id('other')}")
    assert not callback.verify(["s3cret", "other"], body, forged)  # the named key must have signed it


def test_a_receiver_holding_the_old_and_the_new_key_accepts_both_while_the_key_rotates() -> None:
    body, now = b"{}", int(time.time())
    old, new = callback.sign("old-key", body, now), callback.sign("new-key", body, now)
    assert callback.verify(["old-key", "new-key"], body, old)
    assert callback.verify(["old-key", "new-key"], body, new)
    assert not callback.verify(["new-key"], body, old)  # once the old key is dropped


def test_old_signatures_are_refused() -> None:
    body = b"{}"
    header = callback.sign("k", body, 1_000)
    assert not callback.verify("k", body, header, now=1_000 + callback.DEFAULT_TOLERANCE_SECONDS + 1)
    assert callback.verify("k", body, header, now=1_000 + 10)


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    running = CallbackReceiver("k")
    running.start()
    yield running
    running.stop()


def test_deliver_reaches_a_receiver_that_checks_the_signature(receiver: CallbackReceiver) -> None:
    result = callback.deliver(receiver.url, {"document_id": "d1"}, "k", timeout=5, allow_http_loopback=True)
    wrong = callback.deliver(receiver.url, {"document_id": "d2"}, "not-k", timeout=5, allow_http_loopback=True)
    assert (result.delivered, result.status_code) == (True, 204)
    assert receiver.for_document("d1")[0].signature_valid
    assert (wrong.delivered, wrong.status_code) == (False, 401)


def test_https_only_outside_the_local_run(receiver: CallbackReceiver) -> None:
    refused = callback.deliver(receiver.url, {"document_id": "d"}, "k", timeout=5, allow_http_loopback=False)
    assert (refused.delivered, refused.error) == (False, "not sent: http scheme (only https)")
    assert receiver.received == []
    elsewhere = callback.deliver("http://example.com/x", {"a": 1}, "k", timeout=5, allow_http_loopback=True)
    assert elsewhere.error == "not sent: http scheme (only https, or http to loopback)"


class Redirecting(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        Redirecting.hits.append(self.path)
        self.send_response(307)
        self.send_header("Location", "http://127.0.0.1:9/elsewhere")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None


def test_a_redirect_is_not_followed() -> None:
    """A 307 would re-POST the body and its signature wherever it points (an http URL included)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/cb"
        result = callback.deliver(url, {"document_id": "d"}, "k", timeout=5, allow_http_loopback=True)
    finally:
        server.shutdown()
    assert (result.delivered, result.status_code) == (False, 307)
    assert result.error == "receiver answered HTTP 307 (redirects are not followed)"
    assert Redirecting.hits == ["/cb"]


def test_unreachable_receiver_is_a_result_not_an_exception() -> None:
    result = callback.deliver("http://127.0.0.1:9/x", {"a": 1}, "k", timeout=1, allow_http_loopback=True)
    assert not result.delivered
    assert result.error


def test_the_signing_key_is_read_once() -> None:
    client = boto3.session.Session().client(
        "secretsmanager", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    with Stubber(client) as stub:  # the request shape is checked against the service model
        stub.add_response("get_secret_value", {"SecretString": "k"}, {"SecretId": "arn:secret"})
        key = callback.SigningKey(lambda: client, "arn:secret")
        assert (key(), key()) == ("k", "k")
        stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("attempt", "ceiling"),
    [(1, 30), (2, 60), (3, 120), (5, 480), (6, 900), (12, 900)],
)
def test_backoff_is_full_jitter_below_a_doubling_ceiling(attempt: int, ceiling: int) -> None:
    assert backoff_seconds(attempt, 30, 900, rand=lambda low, high: high) == ceiling
    assert backoff_seconds(attempt, 30, 900, rand=lambda low, high: low) == 1  # never 0: a busy loop


def sender_for(stack: Stack, key: str = "k", *, max_attempts: int = 3) -> CallbackSender:
    return CallbackSender(
        store=DocumentStore(stack.client("dynamodb"), stack.names.documents_table),
        signing_key=lambda: key,
        sqs=stack.client("sqs"),
        queue_url=stack.deployment.callbacks_queue_url,
        max_attempts=max_attempts,
        base_seconds=30,
        cap_seconds=900,
        timeout=2,
        allow_http_loopback=True,
    )


def queued_message(stack: Stack, document_id: str, url: str) -> dict[str, Any]:
    sqs = stack.client("sqs")
    CallbackQueue(sqs, stack.deployment.callbacks_queue_url)(url, {"document_id": document_id, "status": "FAILED"})
    (message,) = sqs.receive_message(QueueUrl=stack.deployment.callbacks_queue_url, AttributeNames=["All"])["Messages"]
    return dict(message)


def test_a_failed_attempt_is_recorded_and_delayed_then_dead_lettered(stack: Stack) -> None:
    from tests.unit.test_terminal import new_doc

    doc = new_doc(stack)
    store = DocumentStore(stack.client("dynamodb"), stack.names.documents_table)
    message = queued_message(stack, doc.document_id, "http://127.0.0.1:9/down")
    assert json.loads(message["Body"])["url"] == "http://127.0.0.1:9/down"
    sender = sender_for(stack)
    with pytest.raises(RetryLaterError):
        sender.send(message["Body"], message["ReceiptHandle"], attempt=1)
    record = store.get(doc.document_id)
    assert record is not None
    assert (record.callback_status or "").startswith("retrying in ")
    # The message is hidden for the backoff (>= 1 s): not received again at once.
    assert "Messages" not in stack.client("sqs").receive_message(QueueUrl=stack.deployment.callbacks_queue_url)
    with pytest.raises(RetryLaterError):
        sender.send(message["Body"], message["ReceiptHandle"], attempt=3)  # the last attempt
    record = store.get(doc.document_id)
    assert record is not None
    assert (record.callback_status or "").startswith("dead-lettered after 3 attempts: NewConnectionError")


def test_a_delivered_callback_is_recorded(stack: Stack, receiver: CallbackReceiver) -> None:
    from tests.unit.test_terminal import new_doc

    doc = new_doc(stack)
    message = queued_message(stack, doc.document_id, receiver.url)
    result = sender_for(stack).send(message["Body"], message["ReceiptHandle"], attempt=2)
    assert result.delivered
    record = DocumentStore(stack.client("dynamodb"), stack.names.documents_table).get(doc.document_id)
    assert record is not None
    assert record.callback_status == "delivered"
    assert receiver.for_document(doc.document_id)[0].signature_valid


def test_an_unreadable_key_fails_the_attempt_not_the_sender(stack: Stack) -> None:
    from tests.unit.test_terminal import new_doc

    doc = new_doc(stack)
    message = queued_message(stack, doc.document_id, "https://example.com/cb")

    def unreadable() -> str:
        raise PermissionError("AccessDeniedException")

    sender = sender_for(stack)
    sender.signing_key = unreadable
    with pytest.raises(RetryLaterError, match="signing key unavailable: PermissionError"):
        sender.send(message["Body"], message["ReceiptHandle"], attempt=1)
    with pytest.raises(NotACallbackError):
        sender.send("not json", message["ReceiptHandle"], attempt=1)
