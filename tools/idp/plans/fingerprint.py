"""Plan fingerprints: what was reviewed is what gets applied.

A fingerprint hashes each unit's normalised resource_changes and output_changes: keys sorted,
JSON strings inside values parsed and re-serialised (whitespace and key order never matter),
resources ordered by address, and the plan's own volatile fields (timestamp, prior state,
configuration, variables) left out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from idp.plans.model import UnitPlan

KEPT_CHANGE_KEYS = (
    "actions",
    "before",
    "after",
    "after_unknown",
    "before_sensitive",
    "after_sensitive",
    "replace_paths",
    "importing",
)
KEPT_RESOURCE_KEYS = ("address", "previous_address", "deposed", "action_reason", "provider_name", "mode", "type")


def _normalise(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return {"__json__": _normalise(json.loads(value))}
        except json.JSONDecodeError:
            return value
    return value


def normalised_unit(raw: dict[str, Any]) -> dict[str, Any]:
    resources = []
    for rc in raw.get("resource_changes") or []:
        item = {k: rc[k] for k in KEPT_RESOURCE_KEYS if k in rc}
        change = rc.get("change", {})
        item["change"] = {k: change[k] for k in KEPT_CHANGE_KEYS if k in change}
        resources.append(_normalise(item))
    resources.sort(key=lambda r: (r.get("address", ""), r.get("deposed", "")))
    outputs = {k: _normalise(v) for k, v in sorted((raw.get("output_changes") or {}).items())}
    return {"resource_changes": resources, "output_changes": outputs}


def unit_fingerprint(raw: dict[str, Any]) -> str:
    canonical = json.dumps(normalised_unit(raw), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def plan_fingerprint(plans: Sequence[UnitPlan]) -> str:
    lines = sorted(f"{p.unit}:{unit_fingerprint(p.raw)}" for p in plans)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


@dataclass(frozen=True)
class Verdict:
    matches: bool
    differences: list[str]


def _addresses(raw: dict[str, Any]) -> dict[str, str]:
    out = {}
    for rc in normalised_unit(raw)["resource_changes"]:
        key = rc.get("address", "?") + (f" (deposed {rc['deposed']})" if rc.get("deposed") else "")
        out[key] = json.dumps(rc, sort_keys=True)
    return out


def compare(reviewed: Sequence[UnitPlan], current: Sequence[UnitPlan]) -> Verdict:
    """What differs between the reviewed and the fresh plan, unit by unit, resource by resource."""
    old = {p.unit: p.raw for p in reviewed}
    new = {p.unit: p.raw for p in current}
    differences = [f"unit {u}: planned now, not in the reviewed plan" for u in sorted(set(new) - set(old))]
    differences += [f"unit {u}: in the reviewed plan, not planned now" for u in sorted(set(old) - set(new))]
    for unit in sorted(set(old) & set(new)):
        if unit_fingerprint(old[unit]) == unit_fingerprint(new[unit]):
            continue
        before, after = _addresses(old[unit]), _addresses(new[unit])
        changed = [a for a in sorted(set(before) | set(after)) if before.get(a) != after.get(a)]
        for address in changed[:20]:
            state = "new" if address not in before else "gone" if address not in after else "changed"
            differences.append(f"unit {unit}: {address} {state}")
        if len(changed) > 20:
            differences.append(f"unit {unit}: … {len(changed) - 20} more resources differ")
        old_outputs = normalised_unit(old[unit])["output_changes"]
        new_outputs = normalised_unit(new[unit])["output_changes"]
        for name in sorted(set(old_outputs) | set(new_outputs)):
            if old_outputs.get(name) != new_outputs.get(name):
                differences.append(f"unit {unit}: output {name} differs")
    return Verdict(not differences, differences)
