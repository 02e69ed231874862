"""Record PROCESSING / the terminal status, emit metrics, and send the signed callback."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field, TypeAdapter

from idp_common import aws
from idp_common.callback import Notifier, notifier_for
from idp_common.documents import DocumentStore
from idp_common.finalize import apply
from idp_common.flow import StatusUpdate
from idp_common.observability import tools
from idp_common.settings import StatusSettings

logger, tracer, metrics = tools("status_updater")


@cache
def update_adapter() -> TypeAdapter[StatusUpdate]:
    return TypeAdapter(Annotated[StatusUpdate, Field(discriminator="outcome")])


@cache
def settings() -> StatusSettings:
    return StatusSettings.from_env()


@cache
def notifier() -> Notifier:
    return notifier_for(settings(), metrics)


@logger.inject_lambda_context(correlation_id_path="document_id")
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    notifier().bind(context)
    update = update_adapter().validate_python(event)
    record = apply(update, DocumentStore(aws.client("dynamodb"), settings().documents_table), notifier())
    if record is None:
        return {"document_id": update.document_id, "status": "unchanged"}
    metrics.add_metric(name=f"Documents{record.status.value.title().replace('_', '')}", unit="Count", value=1)
    return {"document_id": record.document_id, "status": record.status.value}
