"""A dependent's reviewed plan, held against the outputs its dependencies moved when they were applied.

Terragrunt plans a dependent from its dependencies' outputs as they are *before* the apply; a saved plan
keeps those values (Terraform ignores the variables it is given when applying a saved plan - a known
Terragrunt limitation, gruntwork-io/terragrunt#2178, #1330). So a dependent is never applied from its
saved plan once a dependency it reads has moved an output (a replaced function's invoke ARN, a new
published version): it is planned again, and the fresh plan is applied only if it is the reviewed plan
with exactly the moved values in place of the old ones - the same resources, the same actions (a
no-op that now only takes a moved value becomes the update it must be), the same attribute values
otherwise. Anything else (a replacement the new value forces, a change nobody reviewed) is refused.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from idp.plans.fingerprint import Verdict, compare
from idp.plans.model import UnitPlan


def leaves(value: Any, path: str = "") -> dict[str, str]:
    """Every string leaf of an output value (`terragrunt output -json`), by its path."""
    if isinstance(value, dict):
        if set(value) >= {"value"} and "sensitive" in value:  # output -json wraps each output
            return leaves(value["value"], path)
        found: dict[str, str] = {}
        for key, item in value.items():
            found |= leaves(item, f"{path}.{key}" if path else str(key))
        return found
    if isinstance(value, list):
        found = {}
        for index, item in enumerate(value):
            found |= leaves(item, f"{path}[{index}]")
        return found
    return {path: value} if isinstance(value, str) else {}


def moved_values(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, str]:
    """old string -> new string, for each output leaf the apply changed (empty old values never count:
    they would match everywhere)."""
    old, new = leaves(dict(before)), leaves(dict(after))
    return {old[path]: new[path] for path in old.keys() & new.keys() if old[path] != new[path] and old[path]}


def _substitute(value: Any, moved: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, moved) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, moved) for v in value]
    if isinstance(value, str):
        for old in sorted(moved, key=len, reverse=True):  # the longest first: an ARN before its prefix
            value = value.replace(old, moved[old])
        return value
    return value


def expected_plan(reviewed: Mapping[str, Any], moved: Mapping[str, str]) -> dict[str, Any]:
    """The reviewed plan as it reads with the moved values: what the fresh plan must be."""
    plan = copy.deepcopy(dict(reviewed))
    for rc in plan.get("resource_changes") or []:
        change = rc.get("change", {})
        if change.get("actions") == ["delete"]:
            continue
        after = _substitute(change.get("after"), moved)
        if change.get("actions") == ["no-op"] and after != change.get("after"):
            change["actions"] = ["update"]
        change["after"] = after
    for output in (plan.get("output_changes") or {}).values():
        after = _substitute(output.get("after"), moved)
        if output.get("actions") == ["no-op"] and after != output.get("after"):
            output["actions"] = ["update"]
        output["after"] = after
    return plan


def reconcile(unit: str, reviewed: Mapping[str, Any], fresh: Mapping[str, Any], moved: Mapping[str, str]) -> Verdict:
    """Whether the fresh plan of `unit` is its reviewed plan with the moved values, and what differs."""
    expected = UnitPlan.from_json(unit, expected_plan(reviewed, moved))
    return compare([expected], [UnitPlan.from_json(unit, dict(fresh))])
