"""How an `idp` command stops on bad input or a failed step: one line on stderr, then its exit code
(0 ok, 1 a check or step failed, 2 bad usage) - the commands' one way to say it."""

from __future__ import annotations

import typer


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print `error: message` and return the Exit to raise (`raise fail(...)`)."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)
