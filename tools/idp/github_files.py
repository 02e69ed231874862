"""The files a workflow step hands back to the runner: $GITHUB_OUTPUT (the step's outputs, name=value
lines) and $GITHUB_STEP_SUMMARY (Markdown for the job summary). One writer for every `idp` command."""

from __future__ import annotations

import os
from pathlib import Path

OUTPUT = "GITHUB_OUTPUT"
SUMMARY = "GITHUB_STEP_SUMMARY"


def append(variable: str, text: str) -> None:
    """Append to the file the runner named in `variable`. Unset (not in a workflow step): a KeyError,
    which `idp` reports in one line as a missing setting (idp.errors)."""
    with Path(os.environ[variable]).open("a", encoding="utf-8") as handle:
        handle.write(text)
