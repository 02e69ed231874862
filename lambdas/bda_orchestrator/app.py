"""Bedrock Data Automation for the state machine: start a document's job, resume the execution when
the job's ended event arrives, and settle a job that is overdue (idp_common.bda_jobs)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import TypeAdapter

from idp_common import aws
from idp_common.bda import BdaGateway, BedrockDataAutomation
from idp_common.bda_jobs import BdaJobs, job_ended_event
from idp_common.bda_slots import BdaSlots
from idp_common.documents import DocumentStore
from idp_common.flow import BdaOverdue, BdaStart
from idp_common.observability import tools
from idp_common.settings import BdaSettings
from idp_common.transient import retried_when_transient

logger, tracer, metrics = tools("bda_orchestrator")
processor = BatchProcessor(event_type=EventType.SQS)


@cache
def request_adapter() -> TypeAdapter[BdaStart | BdaOverdue]:
    return TypeAdapter(BdaStart | BdaOverdue)


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


def jobs() -> BdaJobs:
    s = settings()
    dynamodb = aws.client("dynamodb")
    return BdaJobs(
        DocumentStore(dynamodb, s.documents_table),
        gateway(),
        aws.client("stepfunctions"),
        s.output_bucket,
        BdaSlots(dynamodb, s.documents_table, s.bda_max_in_flight),
    )


@tracer.capture_method
def ended_record(record: SQSRecord) -> None:
    """Raise to leave the message on the queue (retried, then the DLQ); return to delete it."""
    event = job_ended_event(record.body)
    if event is None:
        logger.warning("not a BDA job-ended event", extra={"message_id": record.message_id})
        metrics.add_metric(name="BdaEvent_unreadable", unit="Count", value=1)
        return
    outcome = jobs().ended(event)
    logger.info("bda job ended", extra={"job_id": event.job_id, "status": event.status, "outcome": outcome})
    metrics.add_metric(name=f"BdaEvent_{outcome.value}", unit="Count", value=1)


@logger.inject_lambda_context(correlation_id_path="document_id")
@tracer.capture_lambda_handler
@metrics.log_metrics
@retried_when_transient
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "Records" in event:  # the BDA events queue's event source mapping
        return dict(
            process_partial_response(event=event, record_handler=ended_record, processor=processor, context=context)
        )
    request = request_adapter().validate_python(event)
    work = jobs()
    step = work.start(request) if isinstance(request, BdaStart) else work.overdue(request)
    metrics.add_metric(name=f"Bda_{request.action}", unit="Count", value=1)
    return step.model_dump()
