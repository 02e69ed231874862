from __future__ import annotations

import time

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
