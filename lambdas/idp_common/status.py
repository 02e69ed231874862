"""Document statuses and the only transitions allowed between them (enforced by DocumentStore)."""

from __future__ import annotations

from enum import StrEnum


class DocumentStatus(StrEnum):
    PENDING_UPLOAD = "PENDING_UPLOAD"
    QUEUED = "QUEUED"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    LOW_CONFIDENCE = "LOW_CONFIDENCE"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"


TERMINAL: frozenset[DocumentStatus] = frozenset(
    {DocumentStatus.COMPLETED, DocumentStatus.LOW_CONFIDENCE, DocumentStatus.FAILED, DocumentStatus.EXPIRED}
)

# from -> allowed targets. Terminal states have no entry: they never change.
TRANSITIONS: dict[DocumentStatus, frozenset[DocumentStatus]] = {
    DocumentStatus.PENDING_UPLOAD: frozenset({DocumentStatus.QUEUED, DocumentStatus.EXPIRED, DocumentStatus.FAILED}),
    DocumentStatus.QUEUED: frozenset({DocumentStatus.PROCESSING, DocumentStatus.FAILED}),
    DocumentStatus.PROCESSING: frozenset(
        {DocumentStatus.COMPLETED, DocumentStatus.LOW_CONFIDENCE, DocumentStatus.FAILED}
    ),
}


def sources_of(target: DocumentStatus) -> frozenset[DocumentStatus]:
    """Every status a document may be in for a move to `target` to be accepted."""
    return frozenset(src for src, targets in TRANSITIONS.items() if target in targets)


def can_transition(current: DocumentStatus, target: DocumentStatus) -> bool:
    return target in TRANSITIONS.get(current, frozenset())
