"""Record PROCESSING / the terminal status and queue its callback (from the state machine); deliver
the queued callbacks, signed, retried with backoff and jitter (from the callbacks queue)."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field, TypeAdapter

from idp_common import aws
from idp_common.callback import SigningKey
from idp_common.callback_queue import CallbackQueue, CallbackSender, NotACallbackError
from idp_common.documents import DocumentStore
from idp_common.finalize import apply
from idp_common.flow import StatusUpdate
from idp_common.observability import tools
from idp_common.settings import StatusSettings
from idp_common.transient import retried_when_transient

logger, tracer, metrics = tools("status_updater")
processor = BatchProcessor(event_type=EventType.SQS)
CALLBACK_CAP_SECONDS = 900.0  # the longest wait between two attempts


@cache
def update_adapter() -> TypeAdapter[StatusUpdate]:
    return TypeAdapter(Annotated[StatusUpdate, Field(discriminator="outcome")])


@cache
def settings() -> StatusSettings:
    return StatusSettings.from_env()


def store() -> DocumentStore:
    return DocumentStore(aws.client("dynamodb"), settings().documents_table)


@cache
def signing_key() -> SigningKey:
    return SigningKey(lambda: aws.client("secretsmanager"), settings().callback_secret_id)


def sender() -> CallbackSender:
    s = settings()
    return CallbackSender(
        store=store(),
        signing_key=signing_key(),
        sqs=aws.client("sqs"),
        queue_url=s.callback_queue_url,
        max_attempts=s.callback_max_attempts,
        base_seconds=s.callback_retry_base_seconds,
        cap_seconds=CALLBACK_CAP_SECONDS,
        timeout=s.callback_timeout_seconds,
        allow_http_loopback=s.callback_allow_http_loopback,
    )


@tracer.capture_method
def callback_record(record: SQSRecord) -> None:
    """Raise to leave the message on the queue (retried, then the DLQ); return to delete it."""
    attempt = int(record.attributes.approximate_receive_count)
    try:
        result = sender().send(record.body, record.receipt_handle, attempt)
    except NotACallbackError:
        logger.warning("not a callback", extra={"message_id": record.message_id})
        return
    except Exception:
        metrics.add_metric(name="CallbackFailed", unit="Count", value=1)
        raise
    logger.info("callback delivered", extra={"status_code": result.status_code, "attempt": attempt})
    metrics.add_metric(name="CallbackDelivered", unit="Count", value=1)


@logger.inject_lambda_context(correlation_id_path="document_id")
@tracer.capture_lambda_handler
@metrics.log_metrics
@retried_when_transient
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "Records" in event:  # the callbacks queue's event source mapping
        return dict(
            process_partial_response(event=event, record_handler=callback_record, processor=processor, context=context)
        )
    update = update_adapter().validate_python(event)
    record = apply(update, store(), CallbackQueue(aws.client("sqs"), settings().callback_queue_url))
    if record is None:
        return {"document_id": update.document_id, "status": "unchanged"}
    metrics.add_metric(name=f"Documents{record.status.value.title().replace('_', '')}", unit="Count", value=1)
    return {"document_id": record.document_id, "status": record.status.value}
