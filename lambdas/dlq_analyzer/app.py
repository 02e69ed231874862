"""Drain the intake DLQ: mark documents FAILED with the reason (or redrive them), emit metrics."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from idp_common import aws
from idp_common.callback_queue import CallbackQueue
from idp_common.dead_letters import drain
from idp_common.documents import DocumentStore
from idp_common.observability import tools
from idp_common.settings import DlqSettings

logger, tracer, metrics = tools("dlq_analyzer")


@cache
def settings() -> DlqSettings:
    return DlqSettings.from_env()


@cache
def notifier() -> CallbackQueue:
    return CallbackQueue(aws.client("sqs"), settings().callback_queue_url)


class DrainRequest(BaseModel):
    """The event: an EventBridge schedule or alarm sends `{}`; an operator may send `{"redrive": true}`."""

    model_config = ConfigDict(extra="ignore", defer_build=True)
    redrive: bool = False
    max_messages: int = Field(default=100, ge=1, le=1000)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = DrainRequest.model_validate(event or {})
    s = settings()
    report = drain(
        sqs=aws.client("sqs"),
        store=DocumentStore(aws.client("dynamodb"), s.documents_table),
        notify=notifier(),
        dlq_url=s.dlq_url,
        input_queue_url=s.input_queue_url,
        redrive=request.redrive,
        max_messages=request.max_messages,
    )
    for failure, count in report.by_class.items():
        metrics.add_metric(name=f"DeadLetter_{failure}", unit="Count", value=count)
    logger.info("dlq drained", extra={"received": report.received, "failed": report.failed_documents})
    return {
        "received": report.received,
        "failed_documents": report.failed_documents,
        "redriven": report.redriven,
        "by_class": report.by_class,
    }
