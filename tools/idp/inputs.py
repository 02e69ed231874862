"""The checks every `idp` command puts on its options before any slow work: one place, typer callbacks.

A refused value is a usage error (exit 2, one line: what, where, how to fix) raised while the command
line is parsed - before an apply, an AWS call or a wait, which is when a bad value used to surface.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import typer

from idp.paths import REPO_ROOT

LOCAL_ENV = "local"  # the local run's env (idp demo), outside live/environments.hcl
TERMINAL_STATUSES = ("COMPLETED", "LOW_CONFIDENCE", "FAILED", "EXPIRED")


def _known_envs() -> list[str]:
    from idp.environments import EnvironmentsError, names  # noqa: PLC0415 - HCL parsing only when asked

    try:
        return names(REPO_ROOT)
    except EnvironmentsError as exc:
        raise typer.BadParameter(str(exc)) from exc


def env_name(value: str) -> str:
    """An env of live/environments.hcl (a name, never a path)."""
    known = _known_envs()
    if value not in known:
        raise typer.BadParameter(f"{value!r} is not in live/environments.hcl (known: {', '.join(known)})")
    return value


def env_or_local(value: str) -> str:
    """An env of live/environments.hcl, or the local run's."""
    return value if value == LOCAL_ENV else env_name(value)


def positive_seconds(value: float | None) -> float | None:
    if value is not None and not value > 0:
        raise typer.BadParameter(f"{value:g} is not a number of seconds above 0")
    return value


def api_url(value: str) -> str:
    """The API's base URL: http(s) with a host (the stage URL terraform outputs, or the local run's)."""
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise typer.BadParameter(
            f"{value!r} is not an http(s) URL; give the stage URL, e.g. https://<api-id>.execute-api.<region>.amazonaws.com/<stage>"
        )
    return value


def terminal_status(value: str) -> str:
    if value not in TERMINAL_STATUSES:
        raise typer.BadParameter(f"{value!r} is not a terminal status ({', '.join(TERMINAL_STATUSES)})")
    return value
