"""Plan fingerprints: what was reviewed is what gets applied.

A fingerprint hashes what Terraform will change, unit by unit: for each resource that changes, its
address, actions and the attributes whose value changes (before and after; unknown-after-apply
ones too; a delete is its address and actions); the outputs that change. Resources and outputs
with nothing to do (`no-op`) and attributes a change leaves as they are never count, so a refresh
that only moved state - drift in an attribute Terraform ignores, an attribute another tool manages -
never refuses an apply. Keys are sorted, JSON strings inside values parsed and re-serialised
(whitespace and key order never matter), and the plan's own volatile fields are left out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from idp.plans.model import UnitPlan

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


NOTHING_TO_DO = (["no-op"],)


def _what_changes(change: dict[str, Any]) -> dict[str, Any]:
    actions = change.get("actions", [])
    kept: dict[str, Any] = {"actions": actions}
    for key in ("replace_paths", "importing"):
        if key in change:
            kept[key] = change[key]
    if actions == ["delete"]:
        return kept  # what is destroyed is the resource itself, whatever its attributes are by now
    before, after = change.get("before"), change.get("after")
    unknown = change.get("after_unknown") or {}
    if not isinstance(after, dict) or not isinstance(before, (dict, type(None))):
        kept |= {"before": before, "after": after, "after_unknown": unknown}
        return kept
    old = before or {}
    keys = sorted(
        k
        for k in set(old) | set(after) | set(unknown if isinstance(unknown, dict) else {})
        if _normalise(old.get(k)) != _normalise(after.get(k)) or (isinstance(unknown, dict) and unknown.get(k))
    )
    kept["before"] = {k: old.get(k) for k in keys} if before is not None else None
    kept["after"] = {k: after.get(k) for k in keys}
    kept["after_unknown"] = {k: unknown[k] for k in keys if isinstance(unknown, dict) and k in unknown}
    return kept


def normalised_unit(raw: dict[str, Any]) -> dict[str, Any]:
    resources = []
    for rc in raw.get("resource_changes") or []:
        change = rc.get("change", {})
        if change.get("actions") in NOTHING_TO_DO:
            continue
        item = {k: rc[k] for k in KEPT_RESOURCE_KEYS if k in rc}
        item["change"] = _what_changes(change)
        resources.append(_normalise(item))
    resources.sort(key=lambda r: (r.get("address", ""), r.get("deposed", "")))
    outputs = {
        k: _normalise(v)
        for k, v in sorted((raw.get("output_changes") or {}).items())
        if v.get("actions") not in NOTHING_TO_DO
    }
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
