"""Powertools Logger/Tracer/Metrics, one set per function; correlation id = document_id.

The X-Ray SDK costs ~170 ms of cold start just to import, and Powertools' Tracer imports it even
when tracing is off. So the real Tracer is built only when tracing is on (in Lambda, and not
disabled with POWERTOOLS_TRACE_DISABLED — Powertools' own rule); otherwise a no-op stand-in with
the same decorators is used.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar, cast, overload

from aws_lambda_powertools import Logger, Metrics

METRICS_NAMESPACE = "IDP"
F = TypeVar("F", bound=Callable[..., Any])


def tracing_enabled(environ: dict[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    disabled = env.get("POWERTOOLS_TRACE_DISABLED", "false").strip().lower() in {"1", "true", "yes", "on"}
    in_lambda = "AWS_LAMBDA_FUNCTION_NAME" in env and "AWS_SAM_LOCAL" not in env
    return in_lambda and not disabled


class NoopTracer:
    """Tracer's decorator surface, doing nothing (tracing is off)."""

    @overload
    def capture_lambda_handler(self, handler: F) -> F: ...
    @overload
    def capture_lambda_handler(self, handler: None = None, **kwargs: Any) -> Callable[[F], F]: ...
    def capture_lambda_handler(self, handler: Any = None, **kwargs: Any) -> Any:
        return handler if handler is not None else (lambda f: f)

    @overload
    def capture_method(self, method: F) -> F: ...
    @overload
    def capture_method(self, method: None = None, **kwargs: Any) -> Callable[[F], F]: ...
    def capture_method(self, method: Any = None, **kwargs: Any) -> Any:
        return method if method is not None else (lambda f: f)

    def put_annotation(self, key: str, value: str | float | bool) -> None:
        return None


def tools(service: str) -> tuple[Logger, NoopTracer, Metrics]:
    """NoopTracer is also the static type: the part of Powertools' Tracer the handlers use."""
    if tracing_enabled():
        from aws_lambda_powertools import Tracer  # noqa: PLC0415 - imports the X-Ray SDK

        tracer = cast("NoopTracer", Tracer(service=service))
    else:
        tracer = NoopTracer()
    return Logger(service=service), tracer, Metrics(namespace=METRICS_NAMESPACE, service=service)
