"""HCL read with python-hcl2, cleaned: v8 keeps the quotes of strings and keys and marks blocks."""

from __future__ import annotations

import copy
from functools import cache, lru_cache
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


@lru_cache(maxsize=1024)
def _parsed(text: str) -> dict[str, Any]:
    return dict(clean(hcl2.loads(text)))


def read(path: Path) -> dict[str, Any]:
    """Read afresh (a worktree or a test repository that changes between calls). The parse is kept
    by the file's text: a command reads the same units many times (changes: 60 parses of ~20 files,
    0.9 s of a 1.2 s run), and a file that changed is parsed again. Each caller gets its own copy."""
    return copy.deepcopy(_parsed(path.read_text()))


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
