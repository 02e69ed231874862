"""Durable callbacks: queued when a document ends, delivered by status_updater from the queue.

A function that ends a document puts {document_id, url, payload} on the callbacks queue (`CallbackQueue`,
the `Notify` of idp_common.finalize) and records "queued". status_updater, the queue's consumer,
makes one signed attempt per receive (`CallbackSender`): delivered -> recorded, the message deleted;
not delivered -> the record says which attempt failed and why, and the message comes back after a
backoff with full jitter (ChangeMessageVisibility: random 0..min(cap, base * 2^(attempt-1)) s).
After the last attempt the record says "dead-lettered", and the queue's redrive policy (its
maxReceiveCount is the same number of attempts) moves the message to the callbacks DLQ, where an
operator can redrive it once the receiver is back. Delivery is at least once: a receiver
deduplicates by document_id.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from idp_common.callback import CallbackResult, deliver
from idp_common.documents import DocumentStore

MAX_VISIBILITY_SECONDS = 43_200  # SQS's limit


def backoff_seconds(
    attempt: int, base: float, cap: float, rand: Callable[[float, float], float] = random.uniform
) -> int:
    """Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): uniform in [0, min(cap, base*2^(n-1))]."""
    ceiling = min(cap, base * 2 ** max(0, attempt - 1))
    return max(1, min(MAX_VISIBILITY_SECONDS, round(rand(0, ceiling))))


@dataclass(frozen=True)
class CallbackQueue:
    """Notify: hand the callback to the queue. An SQS error raises (the caller's own retry covers it):
    a callback is never dropped quietly."""

    sqs: Any
    queue_url: str

    def __call__(self, url: str, payload: dict[str, Any]) -> None:
        body = {"document_id": payload["document_id"], "url": url, "payload": payload}
        self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=json.dumps(body))


class NotACallbackError(ValueError):
    """A message on the callbacks queue that is not a callback: nothing to deliver."""


@dataclass(frozen=True)
class Queued:
    document_id: str
    url: str
    payload: dict[str, Any]

    @classmethod
    def parse(cls, body: str) -> Queued:
        try:
            data = json.loads(body)
            return cls(str(data["document_id"]), str(data["url"]), dict(data["payload"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise NotACallbackError(f"not a queued callback: {exc}") from exc


@dataclass
class CallbackSender:
    store: DocumentStore
    signing_key: Callable[[], str]
    sqs: Any
    queue_url: str
    max_attempts: int
    base_seconds: float
    cap_seconds: float
    timeout: float
    allow_http_loopback: bool

    def send(self, body: str, receipt_handle: str, attempt: int) -> CallbackResult:
        """One attempt. Delivered: recorded, returned (the message is then deleted). Not delivered:
        recorded, the message's next attempt delayed, and RetryLaterError raised (kept on the queue)."""
        queued = Queued.parse(body)
        try:
            key = self.signing_key()
        except Exception as exc:  # an unreadable key fails this attempt, as a down receiver does
            result = CallbackResult(False, None, f"signing key unavailable: {type(exc).__name__}")
        else:
            result = deliver(
                queued.url, queued.payload, key, self.timeout, allow_http_loopback=self.allow_http_loopback
            )
        if result.delivered:
            self.store.record_callback(queued.document_id, "delivered")
            return result
        if attempt >= self.max_attempts:
            self.store.record_callback(queued.document_id, f"dead-lettered after {attempt} attempts: {result.error}")
            delay = 0  # visible at once: the next receive moves it to the DLQ (its receives are spent)
        else:
            delay = backoff_seconds(attempt, self.base_seconds, self.cap_seconds)
            self.store.record_callback(
                queued.document_id, f"retrying in {delay} s (attempt {attempt} of {self.max_attempts}): {result.error}"
            )
        self.sqs.change_message_visibility(
            QueueUrl=self.queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=delay
        )
        raise RetryLaterError(result.error or "not delivered")


class RetryLaterError(RuntimeError):
    """Not delivered this time: the message stays on the queue (then its DLQ)."""
