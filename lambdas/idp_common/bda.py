"""Bedrock Data Automation: the gateway interface, the real client, and the output reader.

moto has no BDA, so the local run and the integration tests use a record/replay double with the
same interface (tools/idp/local/bda_double.py); the real calls here are tested with botocore's
Stubber against the service model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import ClientError

from idp_common import s3uri
from idp_common.errors import BdaThrottledError, DocumentProcessingError

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "ServiceQuotaExceededException",
        "InternalServerException",
        "ServiceUnavailableException",
    }
)


class BdaJobStatus(StrEnum):
    CREATED = "Created"
    IN_PROGRESS = "InProgress"
    SUCCESS = "Success"
    SERVICE_ERROR = "ServiceError"
    CLIENT_ERROR = "ClientError"


FAILED_STATUSES = frozenset(
    {BdaJobStatus.CLIENT_ERROR, BdaJobStatus.SERVICE_ERROR}
)  # the job has ended, unsuccessfully


@dataclass(frozen=True)
class BdaJob:
    status: BdaJobStatus
    output_uri: str | None = None  # job_metadata.json, when Success
    error: str | None = None


class BdaGateway(Protocol):
    def start(self, *, document_id: str, input_uri: str, output_uri: str) -> str: ...

    def status(self, invocation_arn: str) -> BdaJob: ...


def _retryable(exc: ClientError) -> BdaThrottledError | None:
    code = exc.response["Error"]["Code"]
    return BdaThrottledError(f"BDA {code}: {exc}") if code in RETRYABLE_CODES else None


class BedrockDataAutomation:
    """The real `bedrock-data-automation-runtime` client behind BdaGateway."""

    def __init__(self, runtime_client: Any, project_arn: str, profile_arn: str, stage: str = "LIVE") -> None:
        self._client = runtime_client
        self._project_arn = project_arn
        self._profile_arn = profile_arn
        self._stage = stage

    def start(self, *, document_id: str, input_uri: str, output_uri: str) -> str:
        try:
            response = self._client.invoke_data_automation_async(
                clientToken=document_id,  # idempotent: a retried start returns the same invocation
                inputConfiguration={"s3Uri": input_uri},
                outputConfiguration={"s3Uri": output_uri},
                dataAutomationConfiguration={
                    "dataAutomationProjectArn": self._project_arn,
                    "stage": self._stage,
                },
                dataAutomationProfileArn=self._profile_arn,
                # The job's end is published to EventBridge: it resumes the execution (no polling).
                notificationConfiguration={"eventBridgeConfiguration": {"eventBridgeEnabled": True}},
            )
        except ClientError as exc:
            raise _retryable(exc) or DocumentProcessingError(f"BDA rejected the document: {exc}") from exc
        return str(response["invocationArn"])

    def status(self, invocation_arn: str) -> BdaJob:
        try:
            response = self._client.get_data_automation_status(invocationArn=invocation_arn)
        except ClientError as exc:
            retry = _retryable(exc)
            if retry is not None:
                raise retry from exc
            raise
        status = BdaJobStatus(response["status"])
        error = response.get("errorMessage")
        output = response.get("outputConfiguration", {}).get("s3Uri")
        return BdaJob(status=status, output_uri=output, error=error)


# BDA's job-ended events on the default bus (EventBridge reference, "Amazon Bedrock events"; the
# sample event in the Bedrock user guide, "How EventBridge for Amazon Bedrock works").
EVENT_SOURCE = "aws.bedrock"
ENDED_EVENTS = {
    "Bedrock Data Automation Job Succeeded": BdaJobStatus.SUCCESS,
    "Bedrock Data Automation Job Failed With Client Error": BdaJobStatus.CLIENT_ERROR,
    "Bedrock Data Automation Job Failed With Service Error": BdaJobStatus.SERVICE_ERROR,
}


@dataclass(frozen=True)
class JobEnded:
    """One job-ended event: which job, and the input it ran on (the document is named by its key)."""

    job_id: str
    status: BdaJobStatus
    input_key: str | None
    region: str
    account: str

    @classmethod
    def parse(cls, event: dict[str, Any]) -> JobEnded | None:
        """None for an event that is not a BDA job-ended event."""
        status = ENDED_EVENTS.get(str(event.get("detail-type")))
        detail = event.get("detail")
        if event.get("source") != EVENT_SOURCE or status is None or not isinstance(detail, dict):
            return None
        job_id = detail.get("job_id")
        if not isinstance(job_id, str) or not job_id:
            return None
        source = detail.get("input_s3_object")
        key = source.get("name") if isinstance(source, dict) else None
        return cls(
            job_id=job_id,
            status=status,
            input_key=key if isinstance(key, str) else None,
            region=str(event.get("region", "")),
            account=str(event.get("account", "")),
        )

    def invocation_arn(self, partition: str = "aws") -> str:
        return f"arn:{partition}:bedrock:{self.region}:{self.account}:data-automation-invocation/{self.job_id}"


def job_id_of(invocation_arn: str) -> str:
    return invocation_arn.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class BdaResult:
    """What the flow needs from one BDA job's output."""

    blueprint_name: str | None
    blueprint_confidence: float
    document_class: str | None
    inference: dict[str, Any] = field(default_factory=dict)
    field_confidence: dict[str, float] = field(default_factory=dict)
    text: str = ""


def _read_json(s3: S3Client, uri: str) -> dict[str, Any]:
    bucket, key = s3uri.parse(uri)
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    data = json.loads(body)
    if not isinstance(data, dict):
        raise DocumentProcessingError(f"BDA output {uri} is not a JSON object")
    return data


def _confidences(explainability: list[dict[str, Any]]) -> dict[str, float]:
    """Flatten explainability_info[0] to field -> confidence: nested objects use dotted names, arrays
    (line items, transactions) an index - `line_items[0].amount`."""
    found: dict[str, float] = {}

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            if "confidence" in node and not isinstance(node["confidence"], dict | list):
                found[prefix] = float(node["confidence"])
                return
            for key, value in node.items():
                walk(f"{prefix}.{key}" if prefix else key, value)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(f"{prefix}[{index}]", value)

    if explainability:
        walk("", explainability[0])
    return found


def read_result(s3: S3Client, job_metadata_uri: str) -> BdaResult:
    """Read job_metadata.json and the first segment's custom (and standard) output."""
    metadata = _read_json(s3, job_metadata_uri)
    try:
        segment = metadata["output_metadata"][0]["segment_metadata"][0]
    except (KeyError, IndexError) as exc:
        raise DocumentProcessingError(f"BDA job metadata {job_metadata_uri} has no segment output") from exc
    text = ""
    if segment.get("standard_output_path"):
        standard = _read_json(s3, segment["standard_output_path"])
        text = standard.get("document", {}).get("representation", {}).get("text", "")
    if segment.get("custom_output_status") != "MATCH" or not segment.get("custom_output_path"):
        return BdaResult(blueprint_name=None, blueprint_confidence=0.0, document_class=None, text=text)
    custom = _read_json(s3, segment["custom_output_path"])
    blueprint = custom.get("matched_blueprint", {})
    return BdaResult(
        blueprint_name=blueprint.get("name"),
        blueprint_confidence=float(blueprint.get("confidence", 0.0)),
        document_class=custom.get("document_class", {}).get("type"),
        inference=dict(custom.get("inference_result", {})),
        field_confidence=_confidences(custom.get("explainability_info", [])),
        text=text,
    )
