from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from idp.local.receiver import CallbackReceiver
from idp_common import callback


def test_signature_roundtrip_and_tampering() -> None:
    body = b'{"status":"COMPLETED"}'
    header = callback.sign("s3cret", body, int(time.time()))
    assert callback.verify("s3cret", body, header)
    assert not callback.verify("other", body, header)
    assert not callback.verify("s3cret", body + b" ", header)
    assert not callback.verify("s3cret", body, "garbage")


def test_old_signatures_are_refused() -> None:
    body = b"{}"
    header = callback.sign("k", body, 1_000)
    assert not callback.verify("k", body, header, now=1_000 + callback.DEFAULT_TOLERANCE_SECONDS + 1)
    assert callback.verify("k", body, header, now=1_000 + 10)


def test_deliver_reaches_a_receiver_that_checks_the_signature() -> None:
    receiver = CallbackReceiver("k")
    receiver.start()
    try:
        result = callback.deliver(receiver.url, {"document_id": "d1", "status": "COMPLETED"}, "k", timeout=5)
        wrong = callback.deliver(receiver.url, {"document_id": "d2"}, "not-k", timeout=5, retries=0)
    finally:
        receiver.stop()
    assert (result.delivered, result.status_code) == (True, 204)
    assert receiver.for_document("d1")[0].signature_valid
    assert (wrong.delivered, wrong.status_code) == (False, 401)


def test_unreachable_receiver_is_a_result_not_an_exception() -> None:
    result = callback.deliver("http://127.0.0.1:9/x", {"a": 1}, "k", timeout=1, retries=1)
    assert not result.delivered
    assert result.error


def secrets_client() -> Any:
    return boto3.session.Session().client(
        "secretsmanager", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y"
    )


def test_notifier_reads_the_signing_key_once_and_signs_with_it() -> None:
    client = secrets_client()
    outcomes: list[callback.CallbackResult] = []
    with Stubber(client) as stub:
        # Exactly one GetSecretValue for two callbacks: the request shape is checked against the service model.
        stub.add_response("get_secret_value", {"SecretString": "k"}, {"SecretId": "arn:secret"})
        notify = callback.Notifier(lambda: client, "arn:secret", timeout=5, on_result=outcomes.append)
        receiver = CallbackReceiver("k")
        receiver.start()
        try:
            first = notify(receiver.url, {"document_id": "d1", "status": "FAILED"})
            second = notify(receiver.url, {"document_id": "d2", "status": "EXPIRED"})
        finally:
            receiver.stop()
        stub.assert_no_pending_responses()
    assert first.delivered
    assert second.delivered
    assert [r.signature_valid for r in receiver.received] == [True, True]
    assert outcomes == [first, second]


def test_an_unreadable_signing_key_fails_the_callback_not_the_caller() -> None:
    client = secrets_client()
    outcomes: list[callback.CallbackResult] = []
    with Stubber(client) as stub:
        stub.add_client_error("get_secret_value", "AccessDeniedException", "no", expected_params={"SecretId": "s"})
        notify = callback.Notifier(lambda: client, "s", timeout=1, on_result=outcomes.append)
        result = notify("http://127.0.0.1:9/x", {"document_id": "d"})
    assert (result.delivered, result.error) == (False, "signing key unavailable: AccessDeniedException")
    assert outcomes == [result]


@pytest.mark.parametrize(
    ("left", "attempts"),
    [(None, 4), (100.0, 4), (12.0, 2), (7.0, 1), (6.9, 0), (1.0, 0)],
)
def test_attempts_that_fit_in_the_time_left(left: float | None, attempts: int) -> None:
    # timeout 5 s, 3 retries; the last RESERVE_SECONDS stay free for recording the outcome.
    assert callback.attempts_that_fit(left, timeout=5, retries=3) == attempts


class Remaining:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def get_remaining_time_in_millis(self) -> int:
        return int(self.seconds * 1000)


def test_no_time_left_means_not_sent_and_recorded_without_reading_the_key() -> None:
    client = secrets_client()
    with Stubber(client) as stub:  # no response queued: reading the key would raise
        notify = callback.Notifier(lambda: client, "s", timeout=5)
        notify.bind(Remaining(3.0))
        result = notify("http://127.0.0.1:9/x", {"document_id": "d"})
        stub.assert_no_pending_responses()
    assert (result.delivered, result.error) == (False, "not sent: 3.0 s left in the invocation")


def test_a_failing_receiver_gets_only_the_attempts_that_fit() -> None:
    hits: list[str] = []

    class Unavailable(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            hits.append(self.path)
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Unavailable)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = secrets_client()
    try:
        with Stubber(client) as stub:
            stub.add_response("get_secret_value", {"SecretString": "k"}, {"SecretId": "s"})
            notify = callback.Notifier(lambda: client, "s", timeout=5)
            notify.bind(Remaining(12.0))  # two 5 s attempts fit, not four
            result = notify(f"http://127.0.0.1:{server.server_address[1]}/cb", {"document_id": "d"})
    finally:
        server.shutdown()
    assert (result.delivered, result.status_code) == (False, 503)
    assert len(hits) == 2
