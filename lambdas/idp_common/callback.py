"""Signed callbacks: POST JSON with an HMAC-SHA256 signature header; never raises, never blocks status."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import urllib3
from botocore.exceptions import BotoCoreError, ClientError

from idp_common import aws

if TYPE_CHECKING:
    from aws_lambda_powertools import Metrics

    from idp_common.settings import CallbackAccess

SIGNATURE_HEADER = "X-IDP-Signature"
DEFAULT_TOLERANCE_SECONDS = 300
DEFAULT_RETRIES = 3
# Kept free at the end of an invocation for what follows a callback (recording its outcome, returning).
RESERVE_SECONDS = 2.0


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """`t=<unix>,v1=<hex>` over "<timestamp>.<body>" — the timestamp is signed to stop replays."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(
    secret: str,
    body: bytes,
    header: str,
    now: float | None = None,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """What a receiver does: check the signature and that the timestamp is recent."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, given)


@dataclass(frozen=True)
class CallbackResult:
    delivered: bool
    status_code: int | None
    error: str | None = None


def deliver(
    url: str, payload: dict[str, Any], secret: str, timeout: float, retries: int = DEFAULT_RETRIES
) -> CallbackResult:
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(secret, body, int(time.time())),
        "User-Agent": "idp-platform-callback/1",
    }
    retry = urllib3.Retry(
        total=retries,
        backoff_factor=0.2,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"POST"}),
        raise_on_status=False,
    )
    try:
        response = urllib3.request(
            "POST", url, body=body, headers=headers, timeout=urllib3.Timeout(total=timeout), retries=retry
        )
    except urllib3.exceptions.HTTPError as exc:
        return CallbackResult(False, None, f"{type(exc).__name__}: {exc}")
    ok = 200 <= response.status < 300
    return CallbackResult(ok, response.status, None if ok else f"receiver answered HTTP {response.status}")


def attempts_that_fit(seconds_left: float | None, timeout: float, retries: int) -> int:
    """How many delivery attempts (each up to `timeout`) fit before the invocation must end: 0 to
    retries + 1; all of them when no invocation bounds the time (None)."""
    if seconds_left is None:
        return retries + 1
    return max(0, min(retries + 1, int((seconds_left - RESERVE_SECONDS) // timeout)))


class Notifier:
    """Sends signed callbacks for one function. The signing key is read on the first callback (not at
    cold start) and kept for the container's life. A key that cannot be read fails that callback,
    like an unreachable receiver: the status it announces is already written and stays.

    Bound to an invocation (`bind(context)`), a callback takes only the attempts that fit in the time
    left, so a batch of documents whose receivers hang ends with each callback recorded, instead of
    the function timing out with the rest of its work undone."""

    def __init__(
        self,
        secrets: Callable[[], Any],
        secret_id: str,
        timeout: float,
        on_result: Callable[[CallbackResult], None] = lambda _: None,
        retries: int = DEFAULT_RETRIES,
    ) -> None:
        self._secrets = secrets
        self._secret_id = secret_id
        self._timeout = timeout
        self._on_result = on_result
        self._retries = retries
        self._key: str | None = None
        self._seconds_left: Callable[[], float | None] = lambda: None

    def bind(self, context: Any) -> None:
        """The invocation's Lambda context: its remaining time bounds every callback sent in it."""
        self._seconds_left = lambda: context.get_remaining_time_in_millis() / 1000

    def _signing_key(self) -> str:
        if self._key is None:
            response = self._secrets().get_secret_value(SecretId=self._secret_id)
            self._key = str(response["SecretString"])
        return self._key

    def _send(self, url: str, payload: dict[str, Any]) -> CallbackResult:
        left = self._seconds_left()
        attempts = attempts_that_fit(left, self._timeout, self._retries)
        if attempts == 0:
            return CallbackResult(False, None, f"not sent: {left or 0:.1f} s left in the invocation")
        try:
            key = self._signing_key()
        except BotoCoreError as exc:
            return CallbackResult(False, None, f"signing key unavailable: {type(exc).__name__}: {exc}")
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "ClientError")
            return CallbackResult(False, None, f"signing key unavailable: {code}")
        return deliver(url, payload, key, self._timeout, retries=attempts - 1)

    def __call__(self, url: str, payload: dict[str, Any]) -> CallbackResult:
        result = self._send(url, payload)
        self._on_result(result)
        return result


def notifier_for(settings: CallbackAccess, metrics: Metrics) -> Notifier:
    """A function's notifier: its settings' key and timeout; delivered/failed counted as metrics."""

    def count(result: CallbackResult) -> None:
        metrics.add_metric(name="CallbackDelivered" if result.delivered else "CallbackFailed", unit="Count", value=1)

    return Notifier(
        lambda: aws.client("secretsmanager"), settings.callback_secret_id, settings.callback_timeout_seconds, count
    )
