"""Terminal statuses and their signed callbacks: every document that reaches one is announced once.

The state machine's results (status_updater), a rejected upload (sqs_poller), a dead letter
(dlq_analyzer) and an expired upload slot (document_cleanup) all end here, so a caller hears of its
document however it ended. The callback never blocks the status: it is written first, then the callback queued
(idp_common.callback_queue delivers it, durably).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from idp_common.documents import DocumentRecord, DocumentStore
from idp_common.errors import TransitionRejectedError
from idp_common.flow import ProcessingFailed, ProcessingStarted, StatusUpdate
from idp_common.status import TERMINAL, DocumentStatus

MAX_REASON_CHARS = 1000

# Hands a callback (url, payload) over for durable delivery (idp_common.callback_queue.CallbackQueue);
# raises when it cannot - never drops one quietly.
Notify = Callable[[str, dict[str, Any]], None]


def failure_reason(update: ProcessingFailed) -> str:
    error = str(update.error.get("Error", "Error"))
    cause = str(update.error.get("Cause", "")).strip()
    return f"{error}: {cause}"[:MAX_REASON_CHARS] if cause else error


def target_of(update: StatusUpdate) -> tuple[DocumentStatus, dict[str, Any]]:
    if isinstance(update, ProcessingStarted):
        return DocumentStatus.PROCESSING, {}
    if isinstance(update, ProcessingFailed):
        return DocumentStatus.FAILED, {"status_reason": failure_reason(update)}
    reasons = update.language.reasons + update.classification.reasons + update.extraction.reasons
    status = DocumentStatus.LOW_CONFIDENCE if reasons else DocumentStatus.COMPLETED
    fields = {
        "language": update.language.language,
        "confidence": update.extraction.overall_confidence,
        "output_key": update.extraction.output_key,
        "status_reason": "; ".join(reasons)[:MAX_REASON_CHARS] if reasons else None,
    }
    return status, fields


def callback_payload(record: DocumentRecord) -> dict[str, Any]:
    return {
        "document_id": record.document_id,
        "document_type": record.document_type,
        "status": record.status.value,
        "status_reason": record.status_reason,
        "confidence": record.confidence,
        "language": record.language,
        "updated_at": record.updated_at,
    }


def announce(record: DocumentRecord, store: DocumentStore, notify: Notify) -> None:
    """Queue the callback of a document that has just reached a terminal status and record "queued"
    (unless the sender, quicker, has already recorded its own outcome)."""
    if record.status not in TERMINAL or not record.callback_url:
        return
    notify(record.callback_url, callback_payload(record))
    store.record_callback(record.document_id, "queued", first=True)


def finish(
    store: DocumentStore, document_id: str, target: DocumentStatus, notify: Notify, **fields: Any
) -> DocumentRecord:
    """Move a document to `target` and, when that status is terminal, announce it. Raises
    TransitionRejectedError, as DocumentStore.transition does, when the move is not allowed."""
    record = store.transition(document_id, target, **fields)
    announce(record, store, notify)
    return record


def apply(update: StatusUpdate, store: DocumentStore, notify: Notify) -> DocumentRecord | None:
    """Write the status; on a new terminal status, send the callback and record its outcome.
    None when the same status was already written (a retried task): nothing is sent twice."""
    target, fields = target_of(update)
    try:
        return finish(store, update.document_id, target, notify, **fields)
    except TransitionRejectedError as exc:
        if exc.current == target:
            # A retried task: already applied. Its callback too, unless the first try stopped between
            # the status and the callback (the record says nothing of one yet).
            if exc.record is not None and exc.record.callback_status is None:
                announce(exc.record, store, notify)
            return None
        raise
