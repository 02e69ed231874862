"""AWS clients, created once per container (module-level cache), with explicit timeouts and retries."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5},
    connect_timeout=5,
    read_timeout=30,
    user_agent_extra="idp-platform",
)


@cache
def client(service: str) -> Any:
    """One boto3 client per service per container. Typed as Any: callers annotate with mypy-boto3 types."""
    return boto3.session.Session().client(service, config=_CONFIG)  # type: ignore[call-overload]


def reset_clients() -> None:
    """Forget cached clients (tests and the local run switch endpoints between stacks)."""
    client.cache_clear()
