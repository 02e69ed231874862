"""Transient AWS errors become RetryableError, which the state machine retries with backoff.

botocore retries a call itself first (standard mode, 5 attempts: idp_common.aws); an error still
transient after those - throttling, a 5xx, a dropped connection - is raised as RetryableError so the
task is retried minutes later instead of ending the document FAILED. The codes are botocore's own
(botocore/retries/standard.py: TransientRetryableChecker, ThrottledRetryableChecker; a test keeps
these sets a superset of botocore's). Anything else (access denied, a missing object) is not retried.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from idp_common.errors import RetryableError

TRANSIENT_CODES = frozenset({"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"})
THROTTLED_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})

Handler = TypeVar("Handler", bound=Callable[..., Any])


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, BotoConnectionError | HTTPClientError):
        return True
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return code in TRANSIENT_CODES | THROTTLED_CODES or status in TRANSIENT_STATUSES
    return False


def retried_when_transient(handler: Handler) -> Handler:
    """For a state machine task's handler: a transient AWS error leaves as RetryableError."""

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except Exception as exc:
            if is_transient(exc):
                raise RetryableError(f"transient AWS error (retried): {type(exc).__name__}: {exc}") from exc
            raise

    wrapper.retried_when_transient = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]
