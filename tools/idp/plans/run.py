"""Terragrunt runs of a plan folder: plan exactly the affected units, and apply exactly what was reviewed.

A plan folder (the plan job's artifact) holds everything the apply needs to run the reviewed set again:
  filters        Terragrunt --filters-file of the units to plan/apply (idp.units), absent when none
  destroys.json  the deleted units, each with the commit whose tree last held its configuration, in
                 the order they are destroyed (dependents first); absent when none
  bin/, destroy-bin/  saved plans (--out-dir);  json/  plan JSON (--json-out-dir) for the comment
The plan job makes it from `idp units`; the apply job re-plans the reviewed folder's own sets into a
fresh folder (to verify nothing changed since review), then applies the reviewed saved plans.
Destroys go first (a renamed unit's old resources release their names before the new ones take them),
one unit at a time, dependents before what they depend on: Terragrunt orders a run queue for a destroy
only when the command says `-destroy`, which applying a saved destroy plan does not.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from idp.units import Affected, UnitsError, stack_units

FILTERS, DESTROYS = "filters", "destroys.json"
LOCK = "-lock-timeout=5m"


class RunError(RuntimeError):
    """A Terragrunt or git run that failed: the command and its exit code (its own output went to the log)."""


@dataclass(frozen=True)
class Destroy:
    unit: str
    commit: str


@dataclass(frozen=True)
class PlanFolder:
    path: Path

    @property
    def plans(self) -> bool:
        return (self.path / FILTERS).is_file()

    @property
    def destroys(self) -> list[Destroy]:
        file = self.path / DESTROYS
        return [Destroy(**entry) for entry in json.loads(file.read_text())] if file.is_file() else []

    def count(self) -> tuple[int, int]:
        """(units to plan, units to destroy)."""
        file = self.path / FILTERS
        planned = sum(line.startswith("./") for line in file.read_text().splitlines()) if file.is_file() else 0
        return planned, len(self.destroys)

    def write_sets(self, found: Affected) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        for name in (FILTERS, DESTROYS):
            (self.path / name).unlink(missing_ok=True)
        if found.plan:
            (self.path / FILTERS).write_text(found.filters(), encoding="utf-8")
        missing = [unit for unit in found.destroy if unit not in found.trees]
        if missing:
            raise RunError(f"deleted units {missing} have no commit holding their configuration")
        destroys = [{"unit": unit, "commit": found.trees[unit]} for unit in found.destroy]
        if destroys:
            (self.path / DESTROYS).write_text(json.dumps(destroys, indent=2) + "\n", encoding="utf-8")

    def copy_sets(self, reviewed: PlanFolder) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        for name in (FILTERS, DESTROYS):
            if (reviewed.path / name).is_file():
                shutil.copy2(reviewed.path / name, self.path / name)


def _binary(name: str, repo: Path) -> str:
    """The tool itself, not a mise shim: in a worktree of another commit, a shim would pick that commit's
    .mise.toml and the versions it pins, which this run has not installed."""
    mise = shutil.which("mise")
    if mise is not None:
        found = subprocess.run([mise, "which", name], cwd=repo, capture_output=True, text=True, check=False)
        if found.returncode == 0 and found.stdout.strip():
            return found.stdout.strip()
    binary = shutil.which(name)
    if binary is None:
        raise RunError(f"{name} is not on PATH (the setup action installs it from .mise.toml)")
    return binary


def _run(argv: list[str], cwd: Path, repo: Path) -> None:
    env = os.environ.copy()
    if shutil.which("mise") is not None and argv[0] == "terragrunt":
        env["TG_TF_PATH"] = _binary("terraform", repo)
    command = [_binary(argv[0], repo), *argv[1:]]
    done = subprocess.run(command, cwd=cwd, env=env, check=False)
    if done.returncode != 0:
        raise RunError(f"{' '.join(argv)} failed (exit {done.returncode}) in {cwd}")


def tree(repo: Path, commit: str, folder: Path) -> Path:
    """A worktree of `commit` beside the plan folder: where a deleted unit's configuration still is."""
    where = folder.parent / f"{folder.name}-tree-{commit[:12]}"
    if not (where / ".git").exists():
        _run(["git", "worktree", "add", "--detach", str(where), commit], repo, repo)
    return where


def destroy_order(repo: Path, env: str, folder: Path, destroys: list[Destroy]) -> list[Destroy]:
    """Dependents first: each unit's dependencies as its own tree declares them."""
    by_unit = {d.unit: d for d in destroys}
    depends: dict[str, set[str]] = {}
    for entry in destroys:
        units = stack_units(tree(repo, entry.commit, folder), env)
        if entry.unit not in units:
            raise RunError(f"{entry.commit[:12]} has no unit live/{env}/{entry.unit}: cannot plan its destroy")
        depends[entry.unit] = set(units[entry.unit].dependencies) & set(by_unit)
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(unit: str) -> None:
        if state.get(unit) == 1:
            raise UnitsError(f"dependency cycle through {unit}")
        if state.get(unit) != 2:
            state[unit] = 1
            for dep in sorted(depends[unit]):
                visit(dep)
            state[unit] = 2
            order.append(unit)

    for unit in sorted(by_unit):
        visit(unit)
    return [by_unit[unit] for unit in reversed(order)]


def plan(repo: Path, env: str, folder: PlanFolder) -> None:
    """Plan the folder's sets: the units in the checkout, each deleted unit as a destroy in its tree."""
    out = folder.path.resolve()
    if folder.plans:
        run_all = ["terragrunt", "run", "--all", "--filters-file", str(out / FILTERS)]
        outs = ["--out-dir", str(out / "bin"), "--json-out-dir", str(out / "json")]
        _run([*run_all, *outs, "--", "plan", LOCK], repo / "live" / env, repo)
    ordered = destroy_order(repo, env, out, folder.destroys)
    if ordered:  # recorded in the order the apply destroys them
        entries = [{"unit": d.unit, "commit": d.commit} for d in ordered]
        (out / DESTROYS).write_text(json.dumps(entries, indent=2) + "\n", encoding="utf-8")
    for entry in ordered:
        run_one = ["terragrunt", "run", "--all", "--filter", f"./{entry.unit}"]
        outs = ["--out-dir", str(out / "destroy-bin"), "--json-out-dir", str(out / "json")]
        where = tree(repo, entry.commit, out) / "live" / env
        _run([*run_one, *outs, "--", "plan", "-destroy", LOCK], where, repo)


def apply(repo: Path, env: str, reviewed: PlanFolder, *, mocked: bool) -> None:
    """Apply the reviewed saved plans. Planned from mocks (a first deploy): each unit plans and applies
    after its dependencies with their real outputs, the reviewed set only."""
    path = reviewed.path.resolve()
    for entry in reviewed.destroys:  # the order the plan recorded: dependents first
        run_one = ["terragrunt", "run", "--all", "--filter", f"./{entry.unit}"]
        where = tree(repo, entry.commit, path) / "live" / env
        _run([*run_one, "--out-dir", str(path / "destroy-bin"), "--", "apply", LOCK], where, repo)
    if reviewed.plans:
        run_all = ["terragrunt", "run", "--all", "--filters-file", str(path / FILTERS)]
        saved = [] if mocked else ["--out-dir", str(path / "bin")]
        _run([*run_all, *saved, "--", "apply", LOCK], repo / "live" / env, repo)
