"""Detect the dominant language of the document text that BDA produced."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from idp_common import bda_output, language
from idp_common.config_cache import ConfigCache
from idp_common.flow import LanguageRequest, LanguageStep
from idp_common.observability import tools
from idp_common.settings import LanguageSettings
from idp_common.transient import retried_when_transient

logger, tracer, metrics = tools("language_detector")


@cache
def configs() -> ConfigCache:
    s = LanguageSettings.from_env()
    return ConfigCache.for_function(s)


@logger.inject_lambda_context(correlation_id_path="document_id")
@tracer.capture_lambda_handler
@metrics.log_metrics
@retried_when_transient
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = LanguageRequest.model_validate(event)
    result = bda_output.load(request.output_uri)
    guess = language.detect(result.text, configs().languages())
    # An unsupported or undecidable language is LOW_CONFIDENCE later, never a failure here.
    step = LanguageStep(
        language=guess.language, confidence=guess.confidence, reasons=[guess.reason] if guess.reason else []
    )
    metrics.add_metric(name="LanguageUndecided" if guess.reason else "LanguageDetected", unit="Count", value=1)
    return step.model_dump()
