"""Build the output document from BDA's inference, validate it, and write it to the output bucket."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from idp_common import aws, bda_output, uploads
from idp_common.config_cache import ConfigCache
from idp_common.extraction import extract
from idp_common.flow import ExtractionStep, ExtractRequest
from idp_common.observability import tools
from idp_common.settings import ExtractorSettings
from idp_common.transient import retried_when_transient

logger, tracer, metrics = tools("schema_extractor")


@cache
def settings() -> ExtractorSettings:
    return ExtractorSettings.from_env()


@cache
def configs() -> ConfigCache:
    s = settings()
    return ConfigCache.for_function(s)


@logger.inject_lambda_context(correlation_id_path="document_id")
@tracer.capture_lambda_handler
@metrics.log_metrics
@retried_when_transient
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = ExtractRequest.model_validate(event)
    doc_type = configs().get(request.document_type)
    result = extract(
        document_id=request.document_id,
        doc_type=doc_type,
        language=request.language,
        result=bda_output.load(request.output_uri),
    )
    key = uploads.result_key(request.document_id)
    aws.client("s3").put_object(
        Bucket=settings().output_bucket,
        Key=key,
        Body=json.dumps(result.output, indent=2, sort_keys=True).encode(),
        ContentType="application/json",
        ServerSideEncryption="aws:kms",
    )
    metrics.add_metric(name="FieldsExtracted", unit="Count", value=len(result.output["extracted_data"]))
    return ExtractionStep(
        output_key=key,
        overall_confidence=result.output["confidence_scores"]["overall"],
        reasons=result.low_confidence_reasons,
    ).model_dump()
