from __future__ import annotations

import pytest
from aws_lambda_powertools import Tracer

from idp_common.observability import NoopTracer, tools, tracing_enabled


def test_tracing_follows_powertools_rules() -> None:
    assert not tracing_enabled({})
    assert tracing_enabled({"AWS_LAMBDA_FUNCTION_NAME": "f"})
    assert not tracing_enabled({"AWS_LAMBDA_FUNCTION_NAME": "f", "POWERTOOLS_TRACE_DISABLED": "true"})
    assert not tracing_enabled({"AWS_LAMBDA_FUNCTION_NAME": "f", "AWS_SAM_LOCAL": "true"})


def test_real_tracer_in_lambda_noop_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    _, tracer, _ = tools("svc")
    assert isinstance(tracer, NoopTracer)

    @tracer.capture_method
    def f(x: int) -> int:
        return x + 1

    assert tracer.capture_lambda_handler(f)(1) == 2
    assert tracer.capture_method(capture_response=False)(f)(2) == 3
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "fn")
    _, real, _ = tools("svc")
    assert isinstance(real, Tracer)
