"""Plans as Terragrunt writes them with --json-out-dir: `<unit path>/tfplan.json` per unit."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

PLAN_FILE = "tfplan.json"


class Kind(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    REPLACE = "replace"
    READ = "read"
    NOOP = "no-op"


SYMBOL = {Kind.CREATE: "+", Kind.UPDATE: "~", Kind.DELETE: "-", Kind.REPLACE: "-/+", Kind.READ: "<=", Kind.NOOP: " "}


def kind_of(actions: Iterable[str]) -> Kind:
    acts = list(actions)
    if acts in (["delete", "create"], ["create", "delete"]):
        return Kind.REPLACE
    if acts == ["create"]:
        return Kind.CREATE
    if acts == ["update"]:
        return Kind.UPDATE
    if acts == ["delete"]:
        return Kind.DELETE
    if acts == ["read"]:
        return Kind.READ
    return Kind.NOOP


@dataclass(frozen=True)
class ResourceChange:
    address: str
    kind: Kind
    raw: dict[str, Any]

    @property
    def change(self) -> dict[str, Any]:
        return dict(self.raw.get("change", {}))

    @property
    def moved_from(self) -> str | None:
        return self.raw.get("previous_address")

    @property
    def importing(self) -> bool:
        return bool(self.change.get("importing"))

    @property
    def deposed(self) -> str | None:
        return self.raw.get("deposed")

    @property
    def reason(self) -> str | None:
        return self.raw.get("action_reason")

    @property
    def label(self) -> str:
        return f"{self.address} (deposed {self.deposed})" if self.deposed else self.address


@dataclass
class Counts:
    add: int = 0
    change: int = 0
    destroy: int = 0
    replace: int = 0
    move: int = 0
    import_: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(a + b for a, b in zip(self.row(), other.row(), strict=True)))

    def row(self) -> tuple[int, int, int, int, int, int]:
        return (self.add, self.change, self.destroy, self.replace, self.move, self.import_)

    @property
    def empty(self) -> bool:
        return not any(self.row())


@dataclass
class UnitPlan:
    unit: str
    raw: dict[str, Any]
    resources: list[ResourceChange] = field(default_factory=list)

    @classmethod
    def from_json(cls, unit: str, raw: dict[str, Any]) -> UnitPlan:
        resources = [
            ResourceChange(str(rc.get("address", "?")), kind_of(rc.get("change", {}).get("actions", [])), rc)
            for rc in raw.get("resource_changes") or []
        ]
        return cls(unit, raw, resources)

    @property
    def outputs(self) -> dict[str, dict[str, Any]]:
        return dict(self.raw.get("output_changes") or {})

    @property
    def counts(self) -> Counts:
        c = Counts()
        for r in self.resources:
            c.add += r.kind is Kind.CREATE
            c.change += r.kind is Kind.UPDATE
            c.destroy += r.kind is Kind.DELETE
            c.replace += r.kind is Kind.REPLACE
            c.move += r.moved_from is not None
            c.import_ += r.importing
        return c

    @property
    def changed_resources(self) -> list[ResourceChange]:
        return [r for r in self.resources if r.kind not in (Kind.NOOP, Kind.READ) or r.moved_from or r.importing]

    @property
    def changed_outputs(self) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.outputs.items() if kind_of(v.get("actions", [])) is not Kind.NOOP}

    @property
    def has_changes(self) -> bool:
        return bool(self.changed_resources or self.changed_outputs)

    @property
    def destructive(self) -> list[ResourceChange]:
        return [r for r in self.resources if r.kind in (Kind.DELETE, Kind.REPLACE)]


def shape_problem(raw: dict[str, Any]) -> str | None:
    """What in a plan JSON is not where `terraform show -json` puts it (the parts this package reads)."""
    for key in ("resource_changes", "resource_drift"):
        changes = raw.get(key)
        if changes is None:
            continue
        if not isinstance(changes, list):
            return f"{key} is a {type(changes).__name__}, not a list"
        for index, rc in enumerate(changes):
            if not isinstance(rc, dict) or not isinstance(rc.get("address"), str):
                return f"{key}[{index}] has no address"
            if not isinstance(rc.get("change"), dict) or not isinstance(rc["change"].get("actions"), list):
                return f"{key}[{index}] ({rc['address']}) has no change.actions list"
    for key in ("output_changes", "variables", "configuration", "planned_values", "prior_state"):
        if raw.get(key) is not None and not isinstance(raw[key], dict):
            return f"{key} is a {type(raw[key]).__name__}, not an object"
    return None


def load_dir(directory: Path) -> list[UnitPlan]:
    """Every `<unit>/tfplan.json` under directory, sorted by unit path. Raises ValueError on bad JSON."""
    plans = []
    for path in sorted(directory.rglob(PLAN_FILE)):
        unit = path.parent.relative_to(directory).as_posix() or "."
        try:
            raw = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from exc
        if not isinstance(raw, dict) or "format_version" not in raw:
            raise ValueError(f"{path}: not a `terraform show -json` plan (no format_version)")
        problem = shape_problem(raw)
        if problem is not None:
            raise ValueError(f"{path}: not a `terraform show -json` plan: {problem}")
        plans.append(UnitPlan.from_json(unit, raw))
    return plans
