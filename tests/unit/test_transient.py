"""A transient AWS error in a state machine task is retried by the state machine (RetryableError);
any other error is not."""

from __future__ import annotations

import importlib
import re
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.retries.standard import ThrottledRetryableChecker, TransientRetryableChecker
from botocore.stub import Stubber

from idp.local.lambda_router import LocalContext
from idp_common import aws
from idp_common.errors import RetryableError
from idp_common.transient import THROTTLED_CODES, TRANSIENT_CODES, is_transient
from tests.handler_stack import ASL_PATH


def test_the_codes_cover_botocores_own() -> None:
    assert set(ThrottledRetryableChecker._THROTTLED_ERROR_CODES) <= THROTTLED_CODES
    assert set(TransientRetryableChecker._TRANSIENT_ERROR_CODES) <= TRANSIENT_CODES


def error(code: str, status: int) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op")


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (error("SlowDown", 503), True),
        (error("ProvisionedThroughputExceededException", 400), True),
        (error("InternalError", 500), True),
        (EndpointConnectionError(endpoint_url="https://s3"), True),
        (error("AccessDenied", 403), False),
        (error("NoSuchKey", 404), False),
        (ValueError("x"), False),
    ],
)
def test_what_is_transient(exc: BaseException, transient: bool) -> None:
    assert is_transient(exc) is transient


def test_every_task_of_the_state_machine_retries_transient_errors() -> None:
    functions = set(re.findall(r"\$\{([a-z_]+)_arn\}", ASL_PATH.read_text()))
    assert functions == {
        "status_updater",
        "bda_orchestrator",
        "language_detector",
        "document_classifier",
        "schema_extractor",
    }
    unwrapped = [
        f
        for f in sorted(functions)
        if not getattr(importlib.import_module(f"{f}.app").handler, "retried_when_transient", False)
    ]
    assert unwrapped == []


def test_a_throttled_read_of_bdas_output_is_retried_not_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    import language_detector.app as language_app

    s3 = boto3.client("s3", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")
    real_client = aws.client

    def client(service: str) -> Any:
        return s3 if service == "s3" else real_client(service)

    monkeypatch.setattr(aws, "client", client)
    event = {"document_id": "d", "output_uri": "s3://out/bda/d/job/job_metadata.json"}
    with Stubber(s3) as stub:
        stub.add_client_error("get_object", service_error_code="SlowDown", http_status_code=503)
        with pytest.raises(RetryableError, match="transient AWS error"):
            language_app.handler(event, LocalContext("language_detector"))
        stub.add_client_error("get_object", service_error_code="AccessDenied", http_status_code=403)
        with pytest.raises(ClientError, match="AccessDenied"):
            language_app.handler(event, LocalContext("language_detector"))
