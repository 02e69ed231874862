"""Errors with a meaning for the state machine: the class name is the Step Functions error name."""

from __future__ import annotations

from typing import Any


class IdpError(Exception):
    """Base class: a failure the flow knows how to describe."""


class RetryableError(IdpError):
    """Transient (throttling, service error): the state machine retries with backoff."""


class BdaThrottledError(RetryableError):
    """Bedrock Data Automation throttled or was briefly unavailable."""


class BdaCapacityError(RetryableError):
    """Every BDA job slot of the env is taken: the start waits (the state machine retries it, patiently)."""


class DocumentProcessingError(IdpError):
    """The document cannot be processed (corrupt, unsupported): not retried, ends FAILED."""


class BdaJobFailedError(DocumentProcessingError):
    """The BDA job ended ClientError or ServiceError (sent as the task's failure by its ended event)."""


class BdaDeadlineError(DocumentProcessingError):
    """The BDA job had not succeeded by the document's deadline."""


class TransitionRejectedError(IdpError):
    """A status change that the status machine does not allow from the document's current status."""

    def __init__(self, document_id: str, target: str, current: str | None, record: Any = None) -> None:
        self.document_id = document_id
        self.target = target
        self.current = current
        self.record = record  # the DocumentRecord as it is, when the store read it back
        where = "does not exist" if current is None else f"is {current}"
        super().__init__(f"document {document_id} {where}; cannot move to {target}")


class UnknownDocumentTypeError(IdpError):
    def __init__(self, document_type: str, known: list[str]) -> None:
        self.document_type = document_type
        self.known = known
        super().__init__(f"unknown or disabled document type {document_type!r}; known types: {', '.join(known)}")
