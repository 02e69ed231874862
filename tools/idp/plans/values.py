"""Attribute-level diffs with sensitive values masked and unknown values named."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

SENSITIVE = "(sensitive)"
UNKNOWN = "(known after apply)"
# Attribute names that carry secrets even when a provider forgets to mark them sensitive.
SECRET_NAME = re.compile(
    r"(^|[._\[])(password|passwd|secret|secret_string|secret_binary|token|private_key|client_secret|"
    r"access_key|secret_key|api_key|auth_token|master_password|connection_string|credentials?)($|[._\]])",
    re.IGNORECASE,
)
MAX_VALUE_CHARS = 120


@dataclass(frozen=True)
class AttributeDiff:
    path: str
    before: str | None  # None: absent
    after: str | None


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, sub in value.items():
            flat |= _flatten(sub, f"{prefix}.{key}" if prefix else str(key))
        return flat or ({prefix: {}} if prefix else {})
    if isinstance(value, list):
        flat = {}
        for index, sub in enumerate(value):
            flat |= _flatten(sub, f"{prefix}[{index}]")
        return flat or ({prefix: []} if prefix else {})
    return {prefix: value} if prefix else {}


def _marked(mask: Any, path: str) -> bool:
    """Is `path` (dotted, with [i]) covered by a before_/after_sensitive or after_unknown mask?"""
    if mask is True:
        return True
    node = mask
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if node is True:
            return True
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.startswith("["):
            index = int(part[1:-1])
            node = node[index] if index < len(node) else None
        else:
            return False
    return node is True


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + '…"'


def display(value: Any, path: str, sensitive_mask: Any, unknown_mask: Any = None) -> str:
    if _marked(sensitive_mask, path) or SECRET_NAME.search(path):
        return SENSITIVE
    if unknown_mask is not None and _marked(unknown_mask, path):
        return UNKNOWN
    return _show(value)


def attribute_diffs(change: dict[str, Any]) -> list[AttributeDiff]:
    before_raw, after_raw = change.get("before"), change.get("after")
    before = _flatten(before_raw) if isinstance(before_raw, dict | list) else {}
    after = _flatten(after_raw) if isinstance(after_raw, dict | list) else {}
    unknown = change.get("after_unknown") or {}
    for path in _flatten_unknown(unknown):
        after.setdefault(path, None)
    before_mask, after_mask = change.get("before_sensitive"), change.get("after_sensitive")
    diffs = []
    for path in sorted(set(before) | set(after)):
        in_before, in_after = path in before, path in after
        shown_before = display(before[path], path, before_mask) if in_before else None
        shown_after = display(after.get(path), path, after_mask, unknown) if in_after else None
        if in_before and in_after and before[path] == after.get(path) and not _marked(unknown, path):
            continue
        if shown_before == shown_after == SENSITIVE:
            shown_after = SENSITIVE + " (changed)" if before[path] != after.get(path) else SENSITIVE
            if shown_after == SENSITIVE:
                continue
        diffs.append(AttributeDiff(path, shown_before, shown_after))
    return diffs


def _flatten_unknown(mask: Any, prefix: str = "") -> list[str]:
    if mask is True:
        return [prefix] if prefix else []
    if isinstance(mask, dict):
        return [p for key, sub in mask.items() for p in _flatten_unknown(sub, f"{prefix}.{key}" if prefix else key)]
    if isinstance(mask, list):
        return [p for i, sub in enumerate(mask) for p in _flatten_unknown(sub, f"{prefix}[{i}]")]
    return []


def output_value(name: str, change: dict[str, Any], side: str, *, secret: bool = False) -> str:
    if secret or SECRET_NAME.search(name) or change.get(f"{side}_sensitive") is True:
        return SENSITIVE
    if side == "after" and change.get("after_unknown") is True:
        return UNKNOWN
    value = change.get(side)
    if isinstance(value, dict | list):
        mask = change.get(f"{side}_sensitive")
        if mask not in (None, False) and _flatten(value):
            return SENSITIVE  # partly sensitive structures are shown as a whole as sensitive
    return _show(value)


def sensitive_paths(raw_plan: dict[str, Any]) -> set[str]:
    """`<address>.<attribute path>` of every attribute a provider marked sensitive in this plan."""
    found: set[str] = set()
    for rc in raw_plan.get("resource_changes") or []:
        change = rc.get("change", {})
        for mask in (change.get("before_sensitive"), change.get("after_sensitive")):
            if mask is True:
                found.add(str(rc.get("address")))
            found.update(f"{rc.get('address')}.{path}" for path in _flatten_unknown(mask))
    return found


def output_references_secret(raw_plan: dict[str, Any], name: str, secrets: set[str]) -> bool:
    """An output whose expression reads a sensitive attribute is treated as sensitive too: Terraform
    only marks it when the author did, and `nonsensitive()` can strip the mark."""
    outputs = raw_plan.get("configuration", {}).get("root_module", {}).get("outputs", {})
    references = outputs.get(name, {}).get("expression", {}).get("references", [])
    return any(
        path == ref or path.startswith((f"{ref}.", f"{ref}[")) or ref.startswith(f"{path}.")
        for ref in references
        for path in secrets
    )
