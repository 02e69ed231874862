"""Map BDA's matched blueprint to a configured document type and judge the match."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from idp_common import bda_output
from idp_common.classification import classify
from idp_common.config_cache import ConfigCache
from idp_common.flow import ClassificationStep, ClassifyRequest
from idp_common.observability import tools
from idp_common.settings import ClassifierSettings
from idp_common.transient import retried_when_transient

logger, tracer, metrics = tools("document_classifier")


@cache
def configs() -> ConfigCache:
    s = ClassifierSettings.from_env()
    return ConfigCache.for_function(s)


@logger.inject_lambda_context(correlation_id_path="document_id")
@tracer.capture_lambda_handler
@metrics.log_metrics
@retried_when_transient
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = ClassifyRequest.model_validate(event)
    result = classify(bda_output.load(request.output_uri), request.document_type, configs().enabled())
    metrics.add_metric(
        name="ClassificationMismatch" if result.low_confidence_reasons else "ClassificationMatch",
        unit="Count",
        value=1,
    )
    return ClassificationStep(
        detected_type=result.detected_type,
        confidence=result.confidence,
        reasons=result.low_confidence_reasons,
    ).model_dump()
