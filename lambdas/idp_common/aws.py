"""AWS clients, created once per container (module-level cache), with explicit timeouts and retries.

All clients come from one session whose data loader parses botocore's JSON (endpoints, service
models) once: a second client then costs no second parse of endpoints.json on the cold start.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config

_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5},
    connect_timeout=5,
    read_timeout=30,
    user_agent_extra="idp-platform",
)
# Sessions are not thread-safe; the local run calls handlers from several threads.
_SESSION_LOCK = threading.Lock()


@cache
def _data_loader() -> botocore.loaders.Loader:
    """botocore's bundled data, read-only once parsed: shared by every session of the process."""
    return botocore.loaders.create_loader()


def new_session() -> boto3.session.Session:
    """A fresh session (its own credentials and config) over the process's shared data loader."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _data_loader())
    return boto3.session.Session(botocore_session=core)


_session = cache(new_session)


@cache
def client(service: str) -> Any:
    """One boto3 client per service per container. Typed as Any: callers annotate with mypy-boto3 types."""
    with _SESSION_LOCK:
        return _session().client(service, config=_CONFIG)  # type: ignore[call-overload]


def reset_clients() -> None:
    """Forget cached clients and their session (tests and the local run switch endpoints between stacks)."""
    client.cache_clear()
    _session.cache_clear()
