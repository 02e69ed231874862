"""HCL read with python-hcl2, cleaned: v8 keeps the quotes of strings and keys and marks blocks."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import hcl2


def unquote(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def clean(node: Any) -> Any:
    if isinstance(node, dict):
        return {unquote(k): clean(v) for k, v in node.items() if k not in {"__is_block__", "__comments__"}}
    if isinstance(node, list):
        return [clean(v) for v in node]
    return unquote(node)


def read(path: Path) -> dict[str, Any]:
    """Read afresh (a worktree or a test repository that changes between calls)."""
    with path.open() as handle:
        return dict(clean(hcl2.load(handle)))


@cache
def load(path: Path) -> dict[str, Any]:
    """Read once per process (the repository's own files)."""
    return read(path)


def blocks(doc: dict[str, Any], kind: str) -> dict[str, Any]:
    """Labelled blocks (variable "x" {...}) as name -> body."""
    out: dict[str, Any] = {}
    for entry in doc.get(kind, []):
        out.update(entry)
    return out


def merged_locals(doc: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for entry in doc.get("locals", []):
        out.update(entry)
    return out
