"""Signed callbacks: one delivery attempt of a JSON POST with an HMAC-SHA256 signature header.

Durability (a queue, retries with backoff and jitter, a dead-letter queue) is idp_common.callback_queue's.
The signature names its key (`kid`: the first 16 hex digits of the key's SHA-256), so the key can
rotate: a receiver keeps the old and the new key for a while and picks the one the header names.
Redirects are never followed (a 307 would re-POST body and signature wherever it points), and only
https is sent to, except http to a loopback receiver where the env allows it (the local run).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import urllib3

SIGNATURE_HEADER = "X-IDP-Signature"
DEFAULT_TOLERANCE_SECONDS = 300
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def key_id(secret: str) -> str:
    """What the signature header calls a key: a fingerprint, so nothing but the key has to be shared."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """`t=<unix>,kid=<key id>,v1=<hex>` over "<timestamp>.<body>" — the timestamp is signed to stop replays."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},kid={key_id(secret)},v1={digest}"


def verify(
    keys: str | Iterable[str],
    body: bytes,
    header: str,
    now: float | None = None,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """What a receiver does: take the key the header names among its keys, check the signature and
    that the timestamp is recent."""
    known = {key_id(k): k for k in ([keys] if isinstance(keys, str) else keys)}
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        given = parts["v1"]
        secret = known[parts["kid"]]
    except (KeyError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp).rsplit("v1=", 1)[1]
    return hmac.compare_digest(expected, given)


@dataclass(frozen=True)
class CallbackResult:
    delivered: bool
    status_code: int | None
    error: str | None = None


def refusal(url: str, *, allow_http_loopback: bool) -> str | None:
    """Why a callback URL is not sent to, or None."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and allow_http_loopback and parts.hostname in LOOPBACK_HOSTS:
        return None
    return (
        f"not sent: {parts.scheme or 'no'} scheme (only https{', or http to loopback' if allow_http_loopback else ''})"
    )


def deliver(
    url: str, payload: dict[str, Any], secret: str, timeout: float, *, allow_http_loopback: bool
) -> CallbackResult:
    """One attempt; never raises. A 2xx is delivered; anything else (a redirect included) is not."""
    refused = refusal(url, allow_http_loopback=allow_http_loopback)
    if refused is not None:
        return CallbackResult(False, None, refused)
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(secret, body, int(time.time())),
        "User-Agent": "idp-platform-callback/2",
    }
    try:
        response = urllib3.request(
            "POST",
            url,
            body=body,
            headers=headers,
            timeout=urllib3.Timeout(total=timeout),
            retries=False,
            redirect=False,
        )
    except urllib3.exceptions.HTTPError as exc:
        return CallbackResult(False, None, f"{type(exc).__name__}: {exc}")
    if 200 <= response.status < 300:
        return CallbackResult(True, response.status)
    note = " (redirects are not followed)" if 300 <= response.status < 400 else ""
    return CallbackResult(False, response.status, f"receiver answered HTTP {response.status}{note}")


class SigningKey:
    """The callback signing key, read from Secrets Manager on first use and kept for the container."""

    def __init__(self, secrets: Callable[[], Any], secret_id: str) -> None:
        self._secrets = secrets
        self._secret_id = secret_id
        self._key: str | None = None

    def __call__(self) -> str:
        if self._key is None:
            self._key = str(self._secrets().get_secret_value(SecretId=self._secret_id)["SecretString"])
        return self._key
