"""Terragrunt runs of a plan folder: plan exactly the affected units, and apply exactly what was reviewed.

A plan folder (the plan job's artifact) holds everything the apply needs to run the reviewed set again:
  env            the env it was planned for: an apply refuses a folder without it or of another env
  filters        Terragrunt --filters-file of the units to plan/apply (idp.units), absent when none
  destroys.json  the deleted units, each with the commit whose tree last held its configuration, in
                 the order they are destroyed (dependents first), and whether they go after the
                 applies; absent when none
  bin/, destroy-bin/  saved plans (--out-dir);  json/  plan JSON (--json-out-dir) for the comment
The plan job makes it from `idp units`; the apply job re-plans the reviewed folder's own sets into a
fresh folder (to verify nothing changed since review), then applies the reviewed saved plans.
Destroys go first (a renamed unit's old resources release their names before the new ones take them),
unless a unit that stays depended on one of them - then it is applied first, so it lets go of what is
destroyed. One unit at a time, dependents before what they depend on: Terragrunt orders a run queue for
a destroy only when the command says `-destroy`, which applying a saved destroy plan does not.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from idp.units import Affected, Unit, dependency_order, stack_units

ENV, FILTERS, DESTROYS = "env", "filters", "destroys.json"
LOCK = "-lock-timeout=5m"
PINNED = ("terraform", "terragrunt")  # tools .mise.toml pins: never run through a shim


class RunError(RuntimeError):
    """A Terragrunt or git run that failed: the command and its exit code (its own output went to the log)."""


class NotAPlanFolder(RunError):
    """A folder given as a reviewed plan that `idp plan-run` did not make, or made for another env."""


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

    def check_env(self, env: str) -> None:
        """Refuse a folder `idp plan-run` did not make for `env` (a wrong path or another env's artifact
        would otherwise apply nothing and succeed, or apply another env's saved plans)."""
        file = self.path / ENV
        if not file.is_file():
            raise NotAPlanFolder(f"{self.path} is not a plan folder: no {ENV} file (`idp plan-run` makes one)")
        made_for = file.read_text(encoding="utf-8").strip()
        if made_for != env:
            raise NotAPlanFolder(f"{self.path} was planned for {made_for!r}, not {env!r}")

    def _destroy_file(self) -> dict[str, Any]:
        file = self.path / DESTROYS
        return dict(json.loads(file.read_text())) if file.is_file() else {"after_applies": False, "units": []}

    @property
    def destroys(self) -> list[Destroy]:
        return [Destroy(**entry) for entry in self._destroy_file()["units"]]

    @property
    def destroys_after_applies(self) -> bool:
        return bool(self._destroy_file()["after_applies"])

    def record_destroys(self, destroys: list[Destroy], *, after_applies: bool) -> None:
        units = [{"unit": d.unit, "commit": d.commit} for d in destroys]
        text = json.dumps({"after_applies": after_applies, "units": units}, indent=2) + "\n"
        (self.path / DESTROYS).write_text(text, encoding="utf-8")

    def count(self) -> tuple[int, int]:
        """(units to plan, units to destroy)."""
        return len(_set_units(self.path / FILTERS)), len(self.destroys)

    def write_sets(self, found: Affected, env: str) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        for name in (FILTERS, DESTROYS):
            (self.path / name).unlink(missing_ok=True)
        (self.path / ENV).write_text(env + "\n", encoding="utf-8")
        if found.plan:
            (self.path / FILTERS).write_text(found.filters(), encoding="utf-8")
        missing = [unit for unit in found.destroy if unit not in found.trees]
        if missing:
            raise RunError(f"deleted units {missing} have no commit holding their configuration")
        if found.destroy:
            self.record_destroys([Destroy(u, found.trees[u]) for u in found.destroy], after_applies=False)

    def copy_sets(self, reviewed: PlanFolder, env: str) -> None:
        reviewed.check_env(env)
        self.path.mkdir(parents=True, exist_ok=True)
        for name in (ENV, FILTERS, DESTROYS):
            if (reviewed.path / name).is_file():
                shutil.copy2(reviewed.path / name, self.path / name)


def _binary(name: str, repo: Path) -> str:
    """The tool itself, not a mise shim: in a worktree of another commit, a shim would pick that commit's
    .mise.toml and the versions it pins, which this run has not installed."""
    mise = shutil.which("mise")
    if mise is not None and name in PINNED:
        found = subprocess.run([mise, "which", name], cwd=repo, capture_output=True, text=True, check=False)
        if found.returncode != 0 or not found.stdout.strip():
            raise RunError(f"`mise which {name}` found no installed {name} for {repo} (run `mise install`)")
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
    # Its own process group, which a stop signal reaches once, from here: a second SIGINT makes Terraform
    # quit at once, leaving its lock held and its state half-written.
    proc = subprocess.Popen(command, cwd=cwd, env=env, start_new_session=True)
    try:
        code = proc.wait()
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (idp.exits): a cancelled job
        # One SIGINT to the group - Terragrunt and the Terraform it runs - as a terminal's Ctrl-C sends
        # it; Terragrunt forwards one itself only after 15 s, in case Terraform got it so (v1.0.8
        # internal/shell/run_cmd.go: SignalForwardingDelay; Terraform stays in Terragrunt's group). Then
        # wait for Terraform's graceful stop: what is in flight finishes, the state is written, the lock
        # released. subprocess.run would SIGKILL Terragrunt 0.25 s after the interrupt, and Terraform
        # would run on, unsignalled.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)
        proc.wait()
        raise
    if code != 0:
        raise RunError(f"{' '.join(argv)} failed (exit {code}) in {cwd}")


def tree(repo: Path, commit: str, folder: Path) -> Path:
    """A worktree of `commit` beside the plan folder: where a deleted unit's configuration still is."""
    where = folder.parent / f"{folder.name}-tree-{commit[:12]}"
    if not (where / ".git").exists():
        _run(["git", "worktree", "add", "--detach", str(where), commit], repo, repo)
    return where


def destroy_order(
    repo: Path, env: str, folder: Path, destroys: list[Destroy], kept: set[str]
) -> tuple[list[Destroy], bool]:
    """(dependents first, each unit's dependencies as its own tree declares them; whether a unit that
    stays - one of `kept` - depended on one of them, so the applies go first)."""
    by_unit = {d.unit: d for d in destroys}
    trees: dict[str, dict[str, Unit]] = {}  # commit -> its tree's units, read once per commit
    graph: dict[str, Unit] = {}
    held_by_kept = False
    for entry in destroys:
        if entry.commit not in trees:
            trees[entry.commit] = stack_units(tree(repo, entry.commit, folder), env)
        units = trees[entry.commit]
        if entry.unit not in units:
            raise RunError(f"{entry.commit[:12]} has no unit live/{env}/{entry.unit}: cannot plan its destroy")
        graph[entry.unit] = replace(units[entry.unit], dependencies=units[entry.unit].dependencies & set(by_unit))
        held_by_kept |= any(entry.unit in units[k].dependencies for k in kept if k in units)
    ordered = dependency_order(graph, set(by_unit))  # dependencies first: destroyed last
    return [by_unit[unit] for unit in reversed(ordered)], held_by_kept


def plan(repo: Path, env: str, folder: PlanFolder, *, refresh: bool = True) -> None:
    """Plan the folder's sets: the units in the checkout, each deleted unit as a destroy in its tree.
    refresh=False (a pull request's plan, docs/adr/0002): the change against the applied state, reading
    no resource - what a role that may read the state and nothing else can plan."""
    folder.check_env(env)
    out = folder.path.resolve()
    options = [LOCK] if refresh else [LOCK, "-refresh=false"]
    if folder.plans:
        run_all = ["terragrunt", "run", "--all", "--filters-file", str(out / FILTERS)]
        outs = ["--out-dir", str(out / "bin"), "--json-out-dir", str(out / "json")]
        _run([*run_all, *outs, "--", "plan", *options], repo / "live" / env, repo)
    kept = set(_set_units(out / FILTERS))
    ordered, after_applies = destroy_order(repo, env, out, folder.destroys, kept)
    if ordered:  # recorded in the order and at the moment the apply destroys them
        folder.record_destroys(ordered, after_applies=after_applies)
    for entry in ordered:
        run_one = ["terragrunt", "run", "--all", "--filter", f"./{entry.unit}"]
        outs = ["--out-dir", str(out / "destroy-bin"), "--json-out-dir", str(out / "json")]
        where = tree(repo, entry.commit, out) / "live" / env
        _run([*run_one, *outs, "--", "plan", "-destroy", *options], where, repo)


class Refused(RunError):
    """A dependent whose fresh plan, after a dependency moved its outputs, is not its reviewed plan."""

    def __init__(self, unit: str, differences: list[str]) -> None:
        self.unit = unit
        self.differences = differences
        super().__init__(
            f"{unit}: planned again after the units it reads moved their outputs, it is not the reviewed plan "
            f"- refused ({'; '.join(differences[:5])})"
        )


def apply(repo: Path, env: str, reviewed: PlanFolder, *, mocked: bool, fresh: Path | None = None) -> list[str]:
    """Apply the reviewed saved plans, one unit at a time in dependency order; a unit that reads a unit
    applied before it whose outputs moved is planned again (into `fresh`) and applied only if that plan
    is the reviewed one with the moved values (idp.plans.moved). Planned from mocks (a first deploy):
    each unit plans and applies after its dependencies with their real outputs, the reviewed set only.
    Returns the units applied from a fresh plan."""
    reviewed.check_env(env)
    path = reviewed.path.resolve()

    def destroy() -> None:
        for entry in reviewed.destroys:  # the order the plan recorded: dependents first
            run_one = ["terragrunt", "run", "--all", "--filter", f"./{entry.unit}"]
            where = tree(repo, entry.commit, path) / "live" / env
            _run([*run_one, "--out-dir", str(path / "destroy-bin"), "--", "apply", LOCK], where, repo)

    replanned: list[str] = []
    if not reviewed.destroys_after_applies:
        destroy()
    if reviewed.plans and mocked:
        run_all = ["terragrunt", "run", "--all", "--filters-file", str(path / FILTERS)]
        _run([*run_all, "--", "apply", LOCK], repo / "live" / env, repo)
    elif reviewed.plans:
        replanned = _apply_in_order(repo, env, path, (fresh or path.parent / f"{path.name}-fresh").resolve())
    if reviewed.destroys_after_applies:
        destroy()
    return replanned


def _apply_in_order(repo: Path, env: str, reviewed: Path, fresh: Path) -> list[str]:
    from idp.plans.moved import moved_values, reconcile  # noqa: PLC0415

    units = stack_units(repo, env)
    chosen = _set_units(reviewed / FILTERS)
    missing = [u for u in chosen if u not in units]
    if missing:
        raise RunError(f"the reviewed plan names units this checkout does not have: {missing}")
    read_by = {u: [d for d in chosen if u in units[d].dependencies] for u in chosen}
    moved_by: dict[str, dict[str, str]] = {}
    replanned: list[str] = []
    where = repo / "live" / env
    for unit in dependency_order(units, set(chosen)):
        before = _outputs(where / unit, repo) if read_by[unit] else {}
        moved: dict[str, str] = {}
        for dependency in sorted(units[unit].dependencies):
            moved |= moved_by.get(dependency, {})
        saved = reviewed / "bin"
        if moved:
            one = ["terragrunt", "run", "--all", "--filter", f"./{unit}"]
            outs = ["--out-dir", str(fresh / "bin"), "--json-out-dir", str(fresh / "json")]
            _run([*one, *outs, "--", "plan", LOCK], where, repo)
            verdict = reconcile(unit, _plan_json(reviewed, unit), _plan_json(fresh, unit), moved)
            if not verdict.matches:
                raise Refused(unit, verdict.differences)
            saved = fresh / "bin"
            replanned.append(unit)
        _run(["terragrunt", "run", "--all", "--filter", f"./{unit}", "--out-dir", str(saved), "--", "apply", LOCK],
             where, repo)  # fmt: skip
        if read_by[unit]:
            moved_by[unit] = moved_values(before, _outputs(where / unit, repo))
    return replanned


def _plan_json(folder: Path, unit: str) -> dict[str, Any]:
    path = folder / "json" / unit / "tfplan.json"
    if not path.is_file():
        raise RunError(f"no plan of {unit} in {folder} (terragrunt --json-out-dir)")
    return dict(json.loads(path.read_text()))


def _outputs(unit: Path, repo: Path) -> dict[str, Any]:
    """`terragrunt output -json` of one unit (what its dependents read)."""
    command = [_binary("terragrunt", repo), "output", "-json"]
    done = subprocess.run(command, cwd=unit, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RunError(f"terragrunt output -json failed (exit {done.returncode}) in {unit}: {done.stderr.strip()}")
    try:
        return dict(json.loads(done.stdout or "{}"))
    except json.JSONDecodeError as exc:
        raise RunError(f"terragrunt output -json in {unit}: not JSON ({exc.msg})") from exc


def apply_release(repo: Path, env: str, release: Path) -> None:
    """Every unit of a release's checkout (a rollback), each after its dependencies, bootstrap never."""
    _run(
        ["terragrunt", "run", "--all", "--filter", "!./_bootstrap/**", "--", "apply", LOCK],
        release / "live" / env,
        repo,
    )


def _set_units(filters: Path) -> list[str]:
    if not filters.is_file():
        return []
    return [line[2:] for line in filters.read_text().splitlines() if line.startswith("./")]
