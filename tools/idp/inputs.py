"""The checks every `idp` command puts on its options before any slow work: one place, typer callbacks.

A refused value is a usage error (exit 2, one line: what, where, how to fix) raised while the command
line is parsed - before an apply, an AWS call or a wait, which is when a bad value used to surface.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated
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


EnvOption = Annotated[str, typer.Option(help="Environment (an entry of live/environments.hcl).", callback=env_name)]


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


def commit_sha(value: str) -> str:
    """A full commit SHA (what a release records and its images are tagged with)."""
    if not re.fullmatch(r"[0-9a-f]{40}", value):
        raise typer.BadParameter(f"{value!r} is not a full commit SHA (40 hex digits; `idp release commit` prints one)")
    return value


def digest_map(value: str) -> str:
    """The JSON map of every function to its image digest (sha256:<64 hex>), as `idp release digests` prints it."""
    from idp.release import validate_digests  # noqa: PLC0415 - reads the function list

    try:
        digests = json.loads(value)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"not valid JSON ({exc.msg}, column {exc.colno}): give the digest map") from exc
    if not isinstance(digests, dict) or not all(isinstance(d, str) for d in digests.values()):
        raise typer.BadParameter("not a JSON object of function -> digest strings")
    problems = validate_digests(digests)
    if problems:
        raise typer.BadParameter("; ".join(problems))
    return value


MARKER = Path("live/environments.hcl")  # every repository-level command reads it


def repository_root(value: Path) -> Path:
    """The repository a command works on. Left at its default (the current folder), the nearest folder
    from here up that holds live/environments.hcl, as git finds its repository from a subfolder: run from
    docs/, `idp lint` checked nothing and passed, the plan commands failed on docs/live/environments.hcl."""
    existing_folder(value)
    if value != Path():
        return value
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / MARKER).is_file():
            return folder
    raise typer.BadParameter(
        f"no {MARKER} in {here} or a folder above it: run idp inside the repository, or give its root"
    )


def existing_folder(value: Path) -> Path:
    if not value.is_dir():
        raise typer.BadParameter(f"{value} is not a folder")
    return value


def file_to_write(value: Path | None) -> Path | None:
    """A file a command writes at its end: its folder must exist now, not after the run it records."""
    if value is not None and (value.is_dir() or not value.resolve().parent.is_dir()):
        what = "is a folder" if value.is_dir() else f"is in no folder ({value.parent} does not exist)"
        raise typer.BadParameter(f"{value} {what}: give the path of a file in an existing folder")
    return value
