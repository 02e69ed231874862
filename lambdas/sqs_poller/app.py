"""SQS (S3 ObjectCreated notifications) -> queued documents with a running state machine execution."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from idp_common import aws
from idp_common.callback_queue import CallbackQueue
from idp_common.config_cache import ConfigCache
from idp_common.documents import DocumentStore
from idp_common.intake import Disposition, Intake, parse_notification
from idp_common.observability import tools
from idp_common.settings import PollerSettings

logger, tracer, metrics = tools("sqs_poller")
processor = BatchProcessor(event_type=EventType.SQS)


@cache
def settings() -> PollerSettings:
    return PollerSettings.from_env()


@cache
def notifier() -> CallbackQueue:
    return CallbackQueue(aws.client("sqs"), settings().callback_queue_url)


@cache
def intake() -> Intake:
    s = settings()
    return Intake(
        store=DocumentStore(aws.client("dynamodb"), s.documents_table),
        configs=ConfigCache.for_function(s),
        sfn=aws.client("stepfunctions"),
        state_machine_arn=s.state_machine_arn,
        bda_deadline_seconds=s.bda_deadline_seconds,
        s3=aws.client("s3"),
        notify=notifier(),
    )


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    """Raise to leave the message on the queue (retried, then the DLQ); return to delete it."""
    notification = parse_notification(record.body)
    if notification is None:
        logger.info("skipping s3:TestEvent")
        return
    for s3_record in notification.Records:
        result = intake().accept(s3_record)
        logger.info(
            "intake",
            extra={
                "document_id": result.document_id,
                "disposition": result.disposition,
                "detail": result.detail,
            },
        )
        metrics.add_metric(name=f"Intake_{result.disposition.value}", unit="Count", value=1)
        if result.disposition is Disposition.UNKNOWN_UPLOAD:
            logger.warning("upload for an unknown document", extra={"key": s3_record.s3.object.key})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
