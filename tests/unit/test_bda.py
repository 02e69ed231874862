"""The real BDA runtime calls, checked against the service model with botocore's Stubber."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from idp_common.bda import BdaJobStatus, BedrockDataAutomation, read_result
from idp_common.errors import BdaThrottledError, DocumentProcessingError
from tests.conftest import Stack

PROJECT = "arn:aws:bedrock:eu-west-1:123456789012:data-automation-project/abc123"
PROFILE = "arn:aws:bedrock:eu-west-1:123456789012:data-automation-profile/eu.data-automation-v1"
INVOCATION = "arn:aws:bedrock:eu-west-1:123456789012:data-automation-invocation/job-1"


@pytest.fixture
def runtime() -> Any:
    return boto3.client("bedrock-data-automation-runtime", region_name="eu-west-1")


def test_start_sends_the_documented_request(runtime: Any) -> None:
    bda = BedrockDataAutomation(runtime, PROJECT, PROFILE)
    with Stubber(runtime) as stub:
        stub.add_response(
            "invoke_data_automation_async",
            {"invocationArn": INVOCATION},
            {
                "clientToken": "doc-1",
                "inputConfiguration": {"s3Uri": "s3://in/uploads/doc-1/a.pdf"},
                "outputConfiguration": {"s3Uri": "s3://out/bda/doc-1/"},
                "dataAutomationConfiguration": {"dataAutomationProjectArn": PROJECT, "stage": "LIVE"},
                "dataAutomationProfileArn": PROFILE,
                # The job's end is an EventBridge event: it resumes the execution (no polling).
                "notificationConfiguration": {"eventBridgeConfiguration": {"eventBridgeEnabled": True}},
            },
        )
        arn = bda.start(document_id="doc-1", input_uri="s3://in/uploads/doc-1/a.pdf", output_uri="s3://out/bda/doc-1/")
        stub.assert_no_pending_responses()
    assert arn == INVOCATION


@pytest.mark.parametrize(
    ("code", "expected"),
    [("ThrottlingException", BdaThrottledError), ("ValidationException", DocumentProcessingError)],
)
def test_start_errors_are_classified(runtime: Any, code: str, expected: type[Exception]) -> None:
    bda = BedrockDataAutomation(runtime, PROJECT, PROFILE)
    with Stubber(runtime) as stub:
        stub.add_client_error("invoke_data_automation_async", service_error_code=code, http_status_code=400)
        with pytest.raises(expected):
            bda.start(document_id="d", input_uri="s3://a/b", output_uri="s3://c/d/")


def test_status_reports_output_location(runtime: Any) -> None:
    bda = BedrockDataAutomation(runtime, PROJECT, PROFILE)
    with Stubber(runtime) as stub:
        stub.add_response(
            "get_data_automation_status",
            {"status": "Success", "outputConfiguration": {"s3Uri": "s3://out/bda/d/job_metadata.json"}},
            {"invocationArn": INVOCATION},
        )
        stub.add_response(
            "get_data_automation_status",
            {"status": "ClientError", "errorMessage": "Unsupported file"},
            {"invocationArn": INVOCATION},
        )
        stub.add_client_error("get_data_automation_status", service_error_code="ThrottlingException")
        done = bda.status(INVOCATION)
        failed = bda.status(INVOCATION)
        with pytest.raises(BdaThrottledError):
            bda.status(INVOCATION)
    assert (done.status, done.output_uri) == (BdaJobStatus.SUCCESS, "s3://out/bda/d/job_metadata.json")
    assert (failed.status, failed.error) == (BdaJobStatus.CLIENT_ERROR, "Unsupported file")


def put(s3: Any, bucket: str, key: str, data: dict[str, Any]) -> str:
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(data).encode())
    return f"s3://{bucket}/{key}"


def test_read_result_follows_the_output_layout(stack: Stack) -> None:
    s3, bucket = stack.client("s3"), stack.names.output_bucket
    standard = put(
        s3, bucket, "bda/d/0/standard_output/0/result.json", {"document": {"representation": {"text": "Hi"}}}
    )
    custom = put(
        s3,
        bucket,
        "bda/d/0/custom_output/0/result.json",
        {
            "matched_blueprint": {"name": "idp-passport", "confidence": 0.9},
            "document_class": {"type": "passport"},
            "inference_result": {"surname": "DOE", "address": {"city": "Paris"}},
            "explainability_info": [
                {"surname": {"value": "DOE", "confidence": 0.8}, "address": {"city": {"confidence": 0.7}}}
            ],
        },
    )
    metadata = put(
        s3,
        bucket,
        "bda/d/job_metadata.json",
        {
            "output_metadata": [
                {
                    "segment_metadata": [
                        {
                            "standard_output_path": standard,
                            "custom_output_status": "MATCH",
                            "custom_output_path": custom,
                        }
                    ]
                }
            ]
        },
    )
    result = read_result(s3, metadata)
    assert result.blueprint_name == "idp-passport"
    assert result.field_confidence == {"surname": 0.8, "address.city": 0.7}
    assert result.text == "Hi"


def test_read_result_without_match_or_segments(stack: Stack) -> None:
    s3, bucket = stack.client("s3"), stack.names.output_bucket
    no_match = put(
        s3, bucket, "m1.json", {"output_metadata": [{"segment_metadata": [{"custom_output_status": "NO_MATCH"}]}]}
    )
    assert read_result(s3, no_match).blueprint_name is None
    empty = put(s3, bucket, "m2.json", {"output_metadata": []})
    with pytest.raises(DocumentProcessingError, match="no segment output"):
        read_result(s3, empty)
