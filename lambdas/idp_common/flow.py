"""Payloads exchanged between the state machine's tasks (the ASL wires these fields by name).

Models here and across idp_common use `defer_build=True`: each function builds only the
validators it uses, on first use, instead of all of them at import (cold start).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


def execution_arn(state_machine_arn: str, document_id: str) -> str:
    """A document's execution: sqs_poller names each execution after its document (idempotent starts)."""
    return f"{state_machine_arn.replace(':stateMachine:', ':execution:')}:{document_id}"


class Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)


class ExecutionInput(Payload):
    """What sqs_poller starts every execution with."""

    document_id: str
    document_type: str
    bucket: str
    key: str
    bda_deadline_seconds: int = Field(ge=1)  # the BDA task's TimeoutSecondsPath


class BdaStart(Payload):
    """StartExtraction (waitForTaskToken): start the job; its ended event resumes the task."""

    action: Literal["start"]
    document_id: str
    bucket: str
    key: str
    task_token: str = Field(min_length=1)


class BdaOverdue(Payload):
    """ExtractionOverdue: no ended event before the deadline; ask BDA once."""

    action: Literal["overdue"]
    document_id: str
    deadline_seconds: int


class BdaStep(Payload):
    invocation_arn: str | None  # None: no job started (WAITING)
    status: str
    output_uri: str | None = None
    error: str | None = None


class LanguageRequest(Payload):
    document_id: str
    output_uri: str


class LanguageStep(Payload):
    language: str | None
    confidence: float
    reasons: list[str] = Field(default_factory=list)


class ClassifyRequest(Payload):
    document_id: str
    document_type: str
    output_uri: str


class ClassificationStep(Payload):
    detected_type: str | None
    confidence: float
    reasons: list[str] = Field(default_factory=list)


class ExtractRequest(Payload):
    document_id: str
    document_type: str
    output_uri: str
    language: str | None = None


class ExtractionStep(Payload):
    output_key: str
    overall_confidence: float
    reasons: list[str] = Field(default_factory=list)


class ProcessingStarted(Payload):
    outcome: Literal["processing"]
    document_id: str


class ProcessingSucceeded(Payload):
    outcome: Literal["processed"]
    document_id: str
    language: LanguageStep
    classification: ClassificationStep
    extraction: ExtractionStep


class ProcessingFailed(Payload):
    outcome: Literal["failed"]
    document_id: str
    error: dict[str, Any] = Field(default_factory=dict)  # Step Functions {Error, Cause}


StatusUpdate = ProcessingStarted | ProcessingSucceeded | ProcessingFailed
