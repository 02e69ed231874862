"""How `idp` shows its help and its usage errors: one place for every command group.

Help is click's plain formatter, not typer's rich panels. typer 0.29's panels give every flag a value
column (`--help <bool>`, `--verbose --no-verbose <bool>`: as if the flag took a value) and cut cells
with `…` on an 80-column terminal; the plain formatter shows `--verbose / --no-verbose` and wraps.

A mistyped option is matched on its name without the dashes. click matches `--bogus` against
`--verbose` dashes included, and the two dashes every option shares carry it past difflib's 0.6 cutoff.
"""

from __future__ import annotations

import difflib
from typing import Any

import typer

CUTOFF = 0.6  # difflib's own default, as click uses it


def command_group(**settings: Any) -> typer.Typer:
    """A `typer.Typer` with idp's help: plain click formatting (the settings are typer's)."""
    return typer.Typer(rich_markup_mode=None, **settings)


def close_options(typed: str, options: list[str]) -> list[str]:
    """The options whose names (dashes aside) are close to the typed one."""
    names = {option.lstrip("-"): option for option in options}
    return [names[name] for name in difflib.get_close_matches(typed.lstrip("-"), list(names), cutoff=CUTOFF)]


def usage_message(usage: typer.TyperException) -> str:
    """click's message for a usage error, its option suggestions kept only where the names are close."""
    typed = getattr(usage, "option_name", None)
    suggested = getattr(usage, "possibilities", None)
    if isinstance(typed, str) and suggested:
        usage.possibilities = close_options(typed, list(suggested))  # type: ignore[attr-defined]
    return usage.format_message()
