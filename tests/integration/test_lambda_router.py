"""The one adapter that knows moto's internals: fails loudly if a moto upgrade changes them."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from idp.local.lambda_router import LambdaRouter, MotoIncompatibleError, check_moto_compatibility
from tests.conftest import MOTO_CONFIG


def test_moto_still_has_the_method_we_replace() -> None:
    check_moto_compatibility()


def test_invocations_reach_the_handler_and_errors_look_like_lambda() -> None:
    router = LambdaRouter()
    seen: list[Any] = []

    def ok(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.append((event, context.function_name))
        return {"echo": event["x"]}

    def boom(event: dict[str, Any], context: Any) -> None:
        raise ValueError("bad input")

    router.register("ok-fn", ok)
    router.register("boom-fn", boom)
    router.faults["ok-fn"] = 1
    with mock_aws(config=MOTO_CONFIG):
        router.install()
        try:
            client = boto3.client("lambda", region_name="eu-west-1")
            first = client.invoke(
                FunctionName="arn:aws:lambda:eu-west-1:123456789012:function:ok-fn", Payload=b'{"x": 1}'
            )
            second = client.invoke(FunctionName="ok-fn", Payload=b'{"x": 2}')
            failed = client.invoke(FunctionName="boom-fn", Payload=b"{}")
            missing = client.invoke(FunctionName="nope", Payload=b"{}")
        finally:
            router.uninstall()
    assert json.loads(first["Payload"].read())["errorType"] == "RetryableError"  # the injected fault
    assert json.loads(second["Payload"].read()) == {"echo": 2}
    assert seen == [({"x": 2}, "ok-fn")]
    assert failed["FunctionError"] == "Unhandled"
    assert json.loads(failed["Payload"].read())["errorType"] == "ValueError"
    assert json.loads(missing["Payload"].read())["errorType"] == "ResourceNotFoundException"


def test_incompatible_signature_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    import idp.local.lambda_router as module

    monkeypatch.setattr(module, "EXPECTED_SIGNATURE", ("self", "something_else"))
    with pytest.raises(MotoIncompatibleError, match=r"update tools/idp/local/lambda_router\.py"):
        check_moto_compatibility()
