"""Scheduled: PENDING_UPLOAD past the upload expiry -> EXPIRED; QUEUED / PROCESSING past their deadline
-> FAILED (DocumentsOverdue); documents past retention removed."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from idp_common import aws
from idp_common.bda_slots import give_back
from idp_common.callback_queue import CallbackQueue
from idp_common.cleanup import Deadlines, run_cleanup
from idp_common.config_cache import ConfigCache
from idp_common.documents import DocumentStore, utcnow
from idp_common.flow import execution_arn
from idp_common.observability import tools
from idp_common.settings import CleanupSettings

logger, tracer, metrics = tools("document_cleanup")


@cache
def settings() -> CleanupSettings:
    return CleanupSettings.from_env()


@cache
def notifier() -> CallbackQueue:
    return CallbackQueue(aws.client("sqs"), settings().callback_queue_url)


def release(document_id: str, reason: str) -> None:
    """Stop an overdue document's execution (named by its id) and give back its BDA slot."""
    s = settings()
    sfn = aws.client("stepfunctions")
    execution = execution_arn(s.state_machine_arn, document_id)
    with contextlib.suppress(sfn.exceptions.ExecutionDoesNotExist):  # never started: stuck before the flow
        sfn.stop_execution(executionArn=execution, error="DocumentOverdue", cause=reason[:32768])
    give_back(aws.client("dynamodb"), s.documents_table, document_id)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    s = settings()
    configs = ConfigCache.for_function(s)
    report = run_cleanup(
        store=DocumentStore(aws.client("dynamodb"), s.documents_table),
        s3=aws.client("s3"),
        notify=notifier(),
        input_bucket=s.input_bucket,
        output_bucket=s.output_bucket,
        now=utcnow(),
        upload_expiry=timedelta(seconds=s.upload_expiry_seconds),
        default_retention_days=s.retention_days,
        retention_by_type={name: t.config.retention_days for name, t in configs.all().items()},
        deadlines=Deadlines(
            queued=timedelta(seconds=s.queued_deadline_seconds),
            processing=timedelta(seconds=s.processing_deadline_seconds),
        ),
        release=release,
    )
    metrics.add_metric(name="DocumentsOverdue", unit="Count", value=len(report.overdue))
    metrics.add_metric(name="DocumentsExpired", unit="Count", value=len(report.expired))
    metrics.add_metric(name="DocumentsPurged", unit="Count", value=len(report.purged))
    logger.info("cleanup done", extra={"expired": len(report.expired), "purged": len(report.purged)})
    return {"expired": report.expired, "purged": report.purged, "skipped": report.skipped, "overdue": report.overdue}
