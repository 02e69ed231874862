"""Start a Bedrock Data Automation job for a document, and report its status to the state machine."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import TypeAdapter

from idp_common import aws, s3uri, uploads
from idp_common.bda import BdaGateway, BedrockDataAutomation
from idp_common.flow import BdaPoll, BdaStart, BdaStep
from idp_common.observability import tools
from idp_common.settings import BdaSettings

logger, tracer, metrics = tools("bda_orchestrator")


@cache
def request_adapter() -> TypeAdapter[BdaStart | BdaPoll]:
    return TypeAdapter(BdaStart | BdaPoll)


GATEWAY: BdaGateway | None = None
# The local run and the integration tests put the record/replay double here: it gets the project ARN
# this function read, in place of the BDA runtime client (moto has no BDA).
DOUBLE: Callable[[str], BdaGateway] | None = None


@cache
def settings() -> BdaSettings:
    return BdaSettings.from_env()


def gateway() -> BdaGateway:
    global GATEWAY  # noqa: PLW0603 - created once per container
    if GATEWAY is None:
        s = settings()
        # The project belongs to the doc-config publication (idp configs publish), which records its ARN.
        project_arn = aws.client("ssm").get_parameter(Name=s.bda_project_parameter)["Parameter"]["Value"]
        if DOUBLE is not None:
            GATEWAY = DOUBLE(project_arn)
        else:
            client = aws.client("bedrock-data-automation-runtime")
            GATEWAY = BedrockDataAutomation(client, project_arn, s.bda_profile_arn, s.bda_stage)
    return GATEWAY


def run(request: BdaStart | BdaPoll, bda: BdaGateway, output_bucket: str) -> BdaStep:
    if isinstance(request, BdaStart):
        arn = bda.start(
            document_id=request.document_id,
            input_uri=s3uri.build(request.bucket, request.key),
            output_uri=s3uri.build(output_bucket, uploads.bda_output_prefix(request.document_id)),
        )
        return BdaStep(invocation_arn=arn, status="Created")
    job = bda.status(request.invocation_arn)
    return BdaStep(
        invocation_arn=request.invocation_arn,
        status=job.status.value,
        output_uri=job.output_uri,
        error=job.error,
    )


@logger.inject_lambda_context(correlation_id_path="document_id")
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = request_adapter().validate_python(event)
    step = run(request, gateway(), settings().output_bucket)
    metrics.add_metric(name=f"Bda_{request.action}", unit="Count", value=1)
    return step.model_dump()
