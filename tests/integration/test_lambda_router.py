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


def test_a_weighted_alias_runs_each_version_by_its_weight_and_lambdas_metrics_are_recorded() -> None:
    """Lambda's weighted routing (draws below the weight run the additional version), the metrics
    Lambda records per invocation with its dimension sets, and a bad version failing its share."""
    import io
    import zipfile

    router = LambdaRouter()
    router.register("w-fn", lambda event, context: {"ok": True})
    draws = iter([0.1, 0.2, 0.95])  # the routing's draws, in call order
    router.draw = lambda: next(draws)
    with mock_aws(config=MOTO_CONFIG):
        router.install()
        try:
            lam = boto3.client("lambda", region_name="eu-west-1")
            role = boto3.client("iam", region_name="eu-west-1").create_role(
                RoleName="w", AssumeRolePolicyDocument="{}"
            )["Role"]["Arn"]
            package = io.BytesIO()
            with zipfile.ZipFile(package, "w") as archive:
                archive.writestr("app.py", "")
            lam.create_function(
                FunctionName="w-fn", Runtime="python3.11", Role=role, Handler="app.h",
                Code={"ZipFile": package.getvalue()}, Publish=True,
            )  # fmt: skip
            lam.update_function_configuration(FunctionName="w-fn", Description="v2")
            lam.publish_version(FunctionName="w-fn")
            lam.create_alias(
                FunctionName="w-fn", Name="live", FunctionVersion="1",
                RoutingConfig={"AdditionalVersionWeights": {"2": 0.25}},
            )  # fmt: skip
            router.mark_bad("w-fn", "2", 0.5)
            answers = [lam.invoke(FunctionName="w-fn:live", Payload=b"{}") for _ in range(3)]  # as the callers name it
            cloudwatch = boto3.client("cloudwatch", region_name="eu-west-1")
            listed = cloudwatch.list_metrics(Namespace="AWS/Lambda")["Metrics"]
        finally:
            router.uninstall()
    # draw 0.1 < 0.25: version 2, whose first run fails (half of its runs, the first first); 0.2:
    # version 2 again, which passes; 0.95: version 1
    assert [(version, ok) for _, version, ok in router.executed] == [("2", False), ("2", True), ("1", True)]
    assert "FunctionError" in answers[0]
    assert "bad release: version 2 of w-fn" in json.loads(answers[0]["Payload"].read())["errorMessage"]
    dimension_sets = {tuple(sorted(d["Name"] for d in m["Dimensions"])) for m in listed}
    assert dimension_sets == {
        ("FunctionName",), ("FunctionName", "Resource"), ("ExecutedVersion", "FunctionName", "Resource"),
    }  # fmt: skip
    assert {m["MetricName"] for m in listed} == {"Invocations", "Errors", "Duration"}


def test_a_bad_version_fails_a_steady_share_first_run_first_and_counts_afresh_when_marked_again() -> None:
    from idp.local.lambda_router import Executed

    router = LambdaRouter()
    run = Executed("f", "f:live", "2", alias=True)
    router.mark_bad("f", "2", 0.5)
    assert [router._bad(run) for _ in range(4)] == [True, False, True, False]
    router.mark_bad("f", "2", 0.5)  # a new bad release that happens to get the same version number
    assert router._bad(run)
    router.clear_bad()
    assert not router._bad(run)
