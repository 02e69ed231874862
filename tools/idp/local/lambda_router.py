"""Route moto's Lambda invocations to our real handlers, in-process (no Docker engine here).

moto's Docker-less Lambda backend (`lambda: {use_docker: False}`) answers every Invoke with the
request body. This module replaces that one method so Step Functions' `lambda:invoke` tasks run
the real handler instead. It is the only place that knows moto's internals; test_lambda_router
fails loudly if a moto upgrade changes them.
"""

from __future__ import annotations

import importlib
import inspect
import json
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from moto.awslambda_simple.models import LambdaSimpleBackend

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

    def invoke(self, function_name: str, body: str | bytes | None, response_headers: dict[str, str]) -> bytes:
        name = function_name_of(function_name)
        handler = self._handlers.get(name)
        if handler is None:
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps(
                {"errorType": "ResourceNotFoundException", "errorMessage": f"no handler for {name}"}
            ).encode()
        event = json.loads(body) if body else {}
        try:
            if self._take_fault(name):
                # A transient failure, as the application reports one: the state machine retries it.
                raise RetryableError(f"fault injected into {name} (this attempt fails)")
            with invoking(name):
                result = handler(event, LocalContext(function_name=name))
        except Exception as exc:
            with self._lock:
                self.invocations.append((name, False))
            response_headers["x-amz-function-error"] = "Unhandled"
            error = {
                "errorType": type(exc).__name__,
                "errorMessage": str(exc),
                "stackTrace": traceback.format_exception(exc)[-5:],
            }
            return json.dumps(error).encode()
        with self._lock:
            self.invocations.append((name, True))
        return json.dumps(result).encode()

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
            return router.invoke(function_name, body, response_headers)

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
