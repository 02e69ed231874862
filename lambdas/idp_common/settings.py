"""One settings model per function, read once from environment variables.

Every field is required and its environment variable is the field name in upper case, so the
Terraform compute module must set exactly these variables (tests/infra cross-checks the two).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class SettingsError(RuntimeError):
    """The function's environment is incomplete or wrong: a deployment bug, named precisely."""


class FunctionSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)

    @classmethod
    def env_names(cls) -> frozenset[str]:
        return frozenset(name.upper() for name in cls.model_fields)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        env = os.environ if environ is None else environ
        values = {name: env[name.upper()] for name in cls.model_fields if name.upper() in env}
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
            raise SettingsError(f"{cls.__name__} from environment: {problems}") from exc


class DocumentConfigAccess(FunctionSettings):
    """Fields of every function that reads document-type configs through the cache."""

    config_table: str
    config_version_parameter: str


class CallbackAccess(FunctionSettings):
    """Fields of every function that can end a document, and so announce it (idp_common.finalize):
    the callback goes to the callbacks queue, status_updater delivers it."""

    callback_queue_url: str


class ApiSettings(DocumentConfigAccess):
    documents_table: str
    callback_allow_http_loopback: bool  # http callback URLs to a loopback receiver: the local run only
    input_bucket: str
    output_bucket: str
    upload_expiry_seconds: int = Field(ge=60, le=3600)
    result_url_expiry_seconds: int = Field(ge=60, le=43200)


class PollerSettings(DocumentConfigAccess, CallbackAccess):
    documents_table: str
    state_machine_arn: str
    bda_deadline_seconds: int = Field(ge=1, le=86400)


class BdaSettings(FunctionSettings):
    documents_table: str  # the job's task token and invocation, on the document's record
    output_bucket: str
    bda_max_in_flight: int = Field(ge=1, le=1000)  # the env's bound on BDA jobs running at once
    bda_project_parameter: str  # SSM parameter holding the project's ARN (written by `idp configs publish`)
    bda_profile_arn: str
    bda_stage: str = Field(pattern="^(LIVE|DEVELOPMENT)$")


class LanguageSettings(DocumentConfigAccess):
    pass


class ClassifierSettings(DocumentConfigAccess):
    pass


class ExtractorSettings(DocumentConfigAccess):
    output_bucket: str


class StatusSettings(CallbackAccess):
    documents_table: str
    # Delivering the callbacks queue (idp_common.callback_queue.CallbackSender).
    callback_secret_id: str
    callback_timeout_seconds: float = Field(gt=0, le=30)
    callback_max_attempts: int = Field(ge=1, le=100)  # the callbacks queue's maxReceiveCount
    callback_retry_base_seconds: float = Field(ge=1, le=3600)
    callback_allow_http_loopback: bool


class CleanupSettings(DocumentConfigAccess, CallbackAccess):
    documents_table: str
    state_machine_arn: str  # an overdue document's execution is stopped
    queued_deadline_seconds: int = Field(ge=60, le=86400)
    processing_deadline_seconds: int = Field(ge=60, le=86400)
    input_bucket: str
    output_bucket: str
    upload_expiry_seconds: int = Field(ge=60, le=3600)
    retention_days: int = Field(ge=1, le=3650)


class DlqSettings(CallbackAccess):
    documents_table: str
    dlq_url: str
    input_queue_url: str


# function folder name -> its settings model (the cross-layer contract with modules/compute).
SETTINGS_BY_FUNCTION: dict[str, type[FunctionSettings]] = {
    "presigned_url_generator": ApiSettings,
    "sqs_poller": PollerSettings,
    "bda_orchestrator": BdaSettings,
    "language_detector": LanguageSettings,
    "document_classifier": ClassifierSettings,
    "schema_extractor": ExtractorSettings,
    "status_updater": StatusSettings,
    "document_cleanup": CleanupSettings,
    "dlq_analyzer": DlqSettings,
}
