"""A problem in a doc-config, reported as `path: JSON pointer: message`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


def pointer(parts: Iterable[object]) -> str:
    """RFC 6901 pointer; the document root is shown as "/"."""
    escaped = [str(p).replace("~", "~0").replace("/", "~1") for p in parts]
    return "/" + "/".join(escaped)


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.pointer}: {self.message}"
