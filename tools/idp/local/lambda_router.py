"""Route moto's Lambda invocations to our real handlers, in-process (no Docker engine here).

moto's Docker-less Lambda backend (`lambda: {use_docker: False}`) answers every Invoke with the
request body. This module replaces that one method so Step Functions' `lambda:invoke` tasks run
the real handler instead. It is the only place that knows moto's internals; test_lambda_router
fails loudly if a moto upgrade changes them.

What Lambda itself does around an invocation that moto does not, done here as Lambda documents it:
- an alias with `RoutingConfig.AdditionalVersionWeights` sends each invocation to a version at
  random by the weights (https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html);
- each invocation records the `AWS/Lambda` metrics Invocations, Errors and Duration (ms) under the
  dimension sets Lambda uses - FunctionName; FunctionName + Resource (`name:alias`); and, for an
  alias, FunctionName + Resource + ExecutedVersion
  (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html), into moto's CloudWatch.
Every version runs the same handler here (one image); a version marked bad (`mark_bad`, the demo's
bad-release fault) fails that share of its invocations, its first one first (a steady share, not a
draw: a canary that got two invocations and drew two passes never tripped its alarm - CI, under load).
Not reproduced: Throttles, ConcurrentExecutions, the async and event-source metrics, and metrics of
the handlers the local run calls directly (the API Gateway and SQS stand-ins).
"""

from __future__ import annotations

import importlib
import inspect
import json
import math
import random
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.cloudwatch.models import cloudwatch_backends

from idp_common.errors import RetryableError

Handler = Callable[[dict[str, Any], Any], Any]
_current = threading.local()


@contextmanager
def invoking(function_name: str) -> Iterator[None]:
    """Mark this thread as running `function_name` (who made an AWS call: see current_function)."""
    previous = getattr(_current, "name", None)
    _current.name = function_name
    try:
        yield
    finally:
        _current.name = previous


def current_function() -> str | None:
    return getattr(_current, "name", None)


EXPECTED_SIGNATURE = ("self", "function_name", "qualifier", "body", "headers", "response_headers")
_ORIGINAL_INVOKE = LambdaSimpleBackend.invoke


@dataclass(frozen=True)
class LocalContext:
    """The subset of LambdaContext that Powertools reads."""

    function_name: str
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = ""
    aws_request_id: str = "local"
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


@dataclass(frozen=True)
class Executed:
    """Which version an invocation ran, and under which Resource (`name`, `name:alias`, `name:version`)."""

    function: str
    resource: str
    version: str
    alias: bool


def qualifier_of(target: str, qualifier: str | None) -> str | None:
    if qualifier:
        return qualifier
    if target.startswith("arn:"):
        parts = target.split(":")
        return parts[7] if len(parts) > 7 else None
    return target.split(":", 1)[1] if ":" in target else None


def resolve(backend: Any, target: str, qualifier: str | None, draw: Callable[[], float] = random.random) -> Executed:
    """The version Lambda runs for an invocation of `target`: an alias's primary version, or one of its
    additional versions with the probability its weight gives."""
    name = function_name_of(target)
    qualifier = qualifier_of(target, qualifier)
    if qualifier is None or qualifier == "$LATEST":
        return Executed(name, name, "$LATEST", alias=False)
    if qualifier.isdigit():
        return Executed(name, f"{name}:{qualifier}", qualifier, alias=False)
    alias = backend.get_alias(qualifier, name)
    weights = (alias.routing_config or {}).get("AdditionalVersionWeights") or {}
    version, point = str(alias.function_version), draw()
    for extra, weight in weights.items():
        if point < float(weight):
            version = str(extra)
            break
        point -= float(weight)
    return Executed(name, f"{name}:{qualifier}", version, alias=True)


def record_metrics(backend: Any, executed: Executed, succeeded: bool, milliseconds: float) -> None:
    """The AWS/Lambda metrics of one invocation, in moto's CloudWatch of the function's account and region."""
    dimension_sets = [[{"Name": "FunctionName", "Value": executed.function}]]
    if executed.resource != executed.function:
        dimension_sets.append([*dimension_sets[0], {"Name": "Resource", "Value": executed.resource}])
    if executed.alias:
        dimension_sets.append([*dimension_sets[1], {"Name": "ExecutedVersion", "Value": executed.version}])
    values = (("Invocations", 1.0, "Count"), ("Errors", 0.0 if succeeded else 1.0, "Count"))
    data = [
        {"MetricName": metric, "Value": value, "Unit": unit, "Dimensions": dimensions}
        for dimensions in dimension_sets
        for metric, value, unit in (*values, ("Duration", milliseconds, "Milliseconds"))
    ]
    cloudwatch_backends[backend.account_id][backend.region_name].put_metric_data("AWS/Lambda", data)


def function_name_of(target: str) -> str:
    """The function a name, `name:qualifier` or ARN (`arn:aws:lambda:<region>:<account>:function:<name>[:<alias
    or version>]`) invokes: every caller names the `live` alias, the handler is the function's."""
    if target.startswith("arn:"):
        return target.split(":")[6]
    return target.split(":", 1)[0]


class LambdaRouter:
    """function name -> handler; installed into moto for as long as the router is active."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self.invocations: list[tuple[str, bool]] = []  # (function name, succeeded)
        self.faults: dict[str, int] = {}  # function name -> failures still to inject
        # (function name, version) -> share of its invocations that fail (a bad release)
        self.bad_versions: dict[tuple[str, str], float] = {}
        self._bad_runs: dict[tuple[str, str], int] = {}
        self.draw: Callable[[], float] = random.random
        self.executed: list[tuple[str, str, bool]] = []  # (function, version that ran, succeeded)
        # Told of each invocation: (function, milliseconds, event) - the local run's usage meter.
        self.observers: list[Callable[[str, float, Any], None]] = []

    def register(self, function_name: str, handler: Handler) -> None:
        self._handlers[function_name] = handler

    def register_module(self, function_name: str, module: str) -> None:
        handler = importlib.import_module(module).handler
        self.register(function_name, handler)

    def _take_fault(self, name: str) -> bool:
        with self._lock:
            left = self.faults.get(name, 0)
            if left > 0:
                self.faults[name] = left - 1
                return True
            return False

    def mark_bad(self, function: str, version: str, share: float) -> None:
        """`version` of `function` fails `share` of its invocations from now on, counted afresh."""
        with self._lock:
            self.bad_versions[(function, version)] = share
            self._bad_runs.pop((function, version), None)

    def clear_bad(self) -> None:
        with self._lock:
            self.bad_versions.clear()
            self._bad_runs.clear()

    def _bad(self, executed: Executed) -> bool:
        key = (executed.function, executed.version)
        share = self.bad_versions.get(key, 0.0)
        if share <= 0:
            return False
        with self._lock:
            runs = self._bad_runs[key] = self._bad_runs.get(key, 0) + 1
        return math.ceil(runs * share) > math.ceil((runs - 1) * share)  # the n-th run fails if the share grows

    def invoke(
        self,
        function_name: str,
        body: str | bytes | None,
        response_headers: dict[str, str],
        executed: Executed | None = None,
    ) -> bytes:
        name = function_name_of(function_name)
        handler = self._handlers.get(name)
        if handler is None:
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps(
                {"errorType": "ResourceNotFoundException", "errorMessage": f"no handler for {name}"}
            ).encode()
        event = json.loads(body) if body else {}
        started = time.perf_counter()
        try:
            if self._take_fault(name):
                # A transient failure, as the application reports one: the state machine retries it.
                raise RetryableError(f"fault injected into {name} (this attempt fails)")
            if executed is not None and self._bad(executed):
                raise RetryableError(f"bad release: version {executed.version} of {name} failed this invocation")
            with invoking(name):
                result = handler(event, LocalContext(function_name=name))
        except Exception as exc:
            with self._lock:
                self.invocations.append((name, False))
            self._observe(name, started, event)
            response_headers["x-amz-function-error"] = "Unhandled"
            error = {
                "errorType": type(exc).__name__,
                "errorMessage": str(exc),
                "stackTrace": traceback.format_exception(exc)[-5:],
            }
            return json.dumps(error).encode()
        with self._lock:
            self.invocations.append((name, True))
        self._observe(name, started, event)
        return json.dumps(result).encode()

    def _observe(self, name: str, started: float, event: Any) -> None:
        milliseconds = (time.perf_counter() - started) * 1000
        for observer in self.observers:
            observer(name, milliseconds, event)

    def install(self) -> None:
        check_moto_compatibility()
        router = self

        def invoke(  # noqa: PLR0917 - moto's method signature
            backend: LambdaSimpleBackend,
            function_name: str,
            qualifier: str | None,
            body: Any,
            headers: Any,
            response_headers: Any,
        ) -> bytes:
            executed = resolve(backend, function_name, qualifier, router.draw)
            started = time.perf_counter()
            answer = router.invoke(function_name, body, response_headers, executed)
            failed = "x-amz-function-error" in response_headers
            with router._lock:
                router.executed.append((executed.function, executed.version, not failed))
            record_metrics(backend, executed, not failed, (time.perf_counter() - started) * 1000)
            return answer

        LambdaSimpleBackend.invoke = invoke  # type: ignore[method-assign,assignment]

    @staticmethod
    def uninstall() -> None:
        LambdaSimpleBackend.invoke = _ORIGINAL_INVOKE  # type: ignore[method-assign]


class MotoIncompatibleError(RuntimeError):
    pass


def check_moto_compatibility() -> None:
    params = tuple(inspect.signature(_ORIGINAL_INVOKE).parameters)
    if params != EXPECTED_SIGNATURE:
        raise MotoIncompatibleError(
            f"moto's LambdaSimpleBackend.invoke is now {params}, expected {EXPECTED_SIGNATURE}: "
            "update tools/idp/local/lambda_router.py for this moto version (pinned in uv.lock)"
        )
