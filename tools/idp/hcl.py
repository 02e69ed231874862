"""HCL read with python-hcl2, cleaned: v8 keeps the quotes of strings and keys and marks blocks.

Parsing is slow (lark: ~65 ms to import, ~60 ms to load the grammar, ~10 ms a file) and every `idp`
start reads the same few files, so each parse is kept by the file's text: in the process, and on disk
(`$XDG_CACHE_HOME/idp/hcl`, else `~/.cache/idp/hcl`, one JSON file per text's hash, written
atomically). A cache that cannot be read or written is passed by: the file is parsed."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import threading
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

# What a kept parse depends on besides the text: the parser's version and this module's cleaning.
# clean-2: parses are made under _PARSING; clean-1 entries may hold a parse another thread spoiled.
_FORMAT = "python-hcl2-8.1.4/clean-2"  # test_hcl holds it to the installed version
# python-hcl2 8.1.4 serializes every tree with one SerializationContext (a mutable default argument)
# and flips its inside_dollar_string inside expressions: two parses at once spoil each other.
_PARSING = threading.Lock()


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


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "idp" / "hcl"


def _parse(text: str) -> dict[str, Any]:
    import hcl2  # noqa: PLC0415 - lark only when a text is parsed for the first time

    with _PARSING:
        return dict(clean(hcl2.loads(text)))


@lru_cache(maxsize=1024)
def _parsed(text: str) -> dict[str, Any]:
    kept = cache_dir() / f"{hashlib.sha256((_FORMAT + chr(0) + text).encode()).hexdigest()}.json"
    try:
        found = json.loads(kept.read_text())
        if isinstance(found, dict):
            return found
    except (OSError, ValueError):
        pass
    parsed = _parse(text)
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        partial = kept.with_suffix(f".{os.getpid()}-{threading.get_ident()}.tmp")
        partial.write_text(json.dumps(parsed))
        partial.replace(kept)
    except OSError:
        pass
    return parsed


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
