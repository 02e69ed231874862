"""Terragrunt runs of a plan folder: plan exactly the affected units, and apply exactly what was reviewed.

A plan folder (the plan job's artifact) holds everything the apply needs to run the reviewed set again:
  filters          Terragrunt --filters-file of the units to plan/apply (idp.units), absent when none
  destroy-filters  the same for unit folders deleted since the base, absent when none
  base             the commit the deleted units' configuration is read from ('' - every unit)
  bin/, destroy-bin/  saved plans (--out-dir);  json/  plan JSON (--json-out-dir) for the comment
The plan job makes it from `idp units`; the apply job re-plans the reviewed folder's own sets into a
fresh folder (to verify nothing changed since review), then applies the reviewed saved plans:
destroys first (a renamed unit's old resources go before the new ones take their names).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from idp.units import Affected

FILTERS, DESTROY_FILTERS, BASE = "filters", "destroy-filters", "base"
LOCK = "-lock-timeout=5m"


class RunError(RuntimeError):
    """A Terragrunt or git run that failed: the command and its exit code (its own output went to the log)."""


@dataclass(frozen=True)
class PlanFolder:
    path: Path

    @property
    def plans(self) -> bool:
        return (self.path / FILTERS).is_file()

    @property
    def destroys(self) -> bool:
        return (self.path / DESTROY_FILTERS).is_file()

    @property
    def base(self) -> str:
        file = self.path / BASE
        return file.read_text().strip() if file.is_file() else ""

    def count(self, name: str) -> int:
        """Units in one of the sets (its positive path expressions)."""
        file = self.path / name
        return sum(line.startswith("./") for line in file.read_text().splitlines()) if file.is_file() else 0

    def write_sets(self, found: Affected, base: str) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        for name, units, which in ((FILTERS, found.plan, "plan"), (DESTROY_FILTERS, found.destroy, "destroy")):
            (self.path / name).unlink(missing_ok=True)
            if units:
                (self.path / name).write_text(found.filters(which), encoding="utf-8")
        (self.path / BASE).write_text(base + "\n", encoding="utf-8")

    def copy_sets(self, reviewed: PlanFolder) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        for name in (FILTERS, DESTROY_FILTERS, BASE):
            if (reviewed.path / name).is_file():
                shutil.copy2(reviewed.path / name, self.path / name)


def _run(argv: list[str], cwd: Path) -> None:
    binary = shutil.which(argv[0])
    if binary is None:
        raise RunError(f"{argv[0]} is not on PATH (the setup action installs it from .mise.toml)")
    done = subprocess.run([binary, *argv[1:]], cwd=cwd, env=os.environ.copy(), check=False)
    if done.returncode != 0:
        raise RunError(f"{' '.join(argv)} failed (exit {done.returncode}) in {cwd}")


def base_tree(repo: Path, commit: str, where: Path) -> Path:
    """A worktree of the base commit: where a deleted unit's configuration still is."""
    if not commit:
        raise RunError("deleted units to destroy but no base commit recorded in the plan folder")
    if not (where / ".git").exists():
        _run(["git", "worktree", "add", "--detach", str(where), commit], repo)
    return where


def plan(repo: Path, env: str, folder: PlanFolder) -> None:
    """Plan the folder's sets: the units in the checkout, the deleted ones as destroys in the base's tree."""
    out = folder.path.resolve()
    if folder.plans:
        run_all = ["terragrunt", "run", "--all", "--filters-file", str(out / FILTERS)]
        outs = ["--out-dir", str(out / "bin"), "--json-out-dir", str(out / "json")]
        _run([*run_all, *outs, "--", "plan", LOCK], repo / "live" / env)
    if folder.destroys:
        tree = base_tree(repo, folder.base, out.parent / f"{out.name}-base-tree")
        run_all = ["terragrunt", "run", "--all", "--filters-file", str(out / DESTROY_FILTERS)]
        outs = ["--out-dir", str(out / "destroy-bin"), "--json-out-dir", str(out / "json")]
        _run([*run_all, *outs, "--", "plan", "-destroy", LOCK], tree / "live" / env)


def apply(repo: Path, env: str, reviewed: PlanFolder, *, mocked: bool) -> None:
    """Apply the reviewed saved plans. Planned from mocks (a first deploy): each unit plans and applies
    after its dependencies with their real outputs, the reviewed set only."""
    path = reviewed.path.resolve()
    if reviewed.destroys:
        tree = base_tree(repo, reviewed.base, path.parent / f"{path.name}-base-tree")
        run_all = ["terragrunt", "run", "--all", "--filters-file", str(path / DESTROY_FILTERS)]
        _run([*run_all, "--out-dir", str(path / "destroy-bin"), "--", "apply", LOCK], tree / "live" / env)
    if reviewed.plans:
        run_all = ["terragrunt", "run", "--all", "--filters-file", str(path / FILTERS)]
        saved = [] if mocked else ["--out-dir", str(path / "bin")]
        _run([*run_all, *saved, "--", "apply", LOCK], repo / "live" / env)
