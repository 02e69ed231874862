from __future__ import annotations

import time
from typing import Any

import boto3
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
