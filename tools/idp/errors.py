"""One line for each way an `idp` command can fail outside its own checks: what, where, how to fix."""

from __future__ import annotations

import json
from collections.abc import Callable

from botocore import exceptions as aws

from idp.api_client import MissingCredentialsError
from idp.terraform import TerraformError, TerraformMissingError

USAGE, FAILED = 2, 1
NO_CREDENTIALS = (
    "no AWS credentials found; set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY "
    "(in a workflow: assume the env's role first)"
)


def _client_error(exc: BaseException) -> str:
    assert isinstance(exc, aws.ClientError)  # noqa: S101 - the table below routes only ClientError here
    error = exc.response.get("Error", {})
    return f"AWS refused {exc.operation_name}: {error.get('Code', '?')}: {error.get('Message', '')}".rstrip(": ")


def _os_error(exc: BaseException) -> str:
    assert isinstance(exc, OSError)  # noqa: S101
    return f"{exc.filename or 'file'}: {exc.strerror or exc}"


def _json_error(exc: BaseException) -> str:
    assert isinstance(exc, json.JSONDecodeError)  # noqa: S101
    return f"not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}"


# First match wins: (exception types, message, exit code).
KNOWN: tuple[tuple[tuple[type[BaseException], ...], Callable[[BaseException], str], int], ...] = (
    ((MissingCredentialsError, TerraformMissingError), str, USAGE),
    ((aws.NoCredentialsError, aws.PartialCredentialsError), lambda _: NO_CREDENTIALS, USAGE),
    ((TerraformError,), lambda e: str(getattr(e, "summary", e)), FAILED),
    ((aws.NoRegionError,), lambda _: "no AWS region: pass --region or set AWS_REGION", USAGE),
    (
        (aws.EndpointConnectionError, aws.ConnectTimeoutError, aws.ReadTimeoutError),
        lambda e: f"cannot reach AWS: {e}; check the network, the region and any AWS_ENDPOINT_URL",
        FAILED,
    ),
    ((aws.ClientError,), _client_error, FAILED),
    ((aws.BotoCoreError,), lambda e: f"AWS SDK: {e}", FAILED),
    ((FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError), _os_error, USAGE),
    ((json.JSONDecodeError,), _json_error, USAGE),
    ((KeyError,), lambda e: f"missing setting {e}: set it in the environment (see the command's --help)", USAGE),
)


def one_line(exc: BaseException) -> tuple[str, int]:
    """The message and exit code for an exception that reached `idp`'s entry point."""
    for types, describe, code in KNOWN:
        if isinstance(exc, types):
            return describe(exc), code
    text = str(exc).strip()
    first = text.splitlines()[0] if text else "no message"
    return f"unexpected {type(exc).__name__}: {first} (IDP_DEBUG=1 shows the traceback)", FAILED
