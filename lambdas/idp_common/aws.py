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
# The shared loader's search paths (boto3 appends to them): its own lock - `client` holds the session
# lock while it makes the first session.
_LOADER_LOCK = threading.Lock()


@cache
def _data_loader() -> botocore.loaders.Loader:
    """botocore's bundled data, read-only once parsed: shared by every session of the process."""
    return botocore.loaders.create_loader()


def new_session(
    *,
    access_key: str | None = None,
    secret_key: str | None = None,
    token: str | None = None,
    region: str | None = None,
) -> boto3.session.Session:
    """A fresh session (its own credentials and config; None: the default chain) over the process's
    shared data loader - a client of a service another session already loaded skips parsing its model
    (IAM's: ~1 s)."""
    core = botocore.session.get_session()
    loader = _data_loader()
    core.register_component("data_loader", loader)
    with _LOADER_LOCK:
        session = boto3.session.Session(
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            aws_session_token=token,
            region_name=region,
            botocore_session=core,
        )
        # boto3 appends its own data folder to the loader of every session it is given: once is enough.
        loader.search_paths[:] = list(dict.fromkeys(loader.search_paths))
    return session


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
