"""Which Terragrunt units of an env a change affects - the minimum set a run plans and applies.

A unit (a folder of live/<env>/ with a terragrunt.hcl, bootstrap excluded: an admin's) is affected
when a file it is built from changed:
- its own folder, the env/region/account files above it (find_in_parent_folders), the root
  terragrunt.hcl and .mise.toml (backend, provider, the terraform version: every unit);
- its unit definition live/_units/<x>.hcl and the files that definition reads from the repository
  root (`${get_repo_root()}/live/...`, an interpolated env name standing for every env);
- its module folder and every local module that module calls (`source = "../naming"`), transitively;
- new images (`functions` changed): the units that read IDP_IMAGE_DIGESTS.
Every unit that depends on an affected unit (its `dependency` blocks) is affected too: its inputs may
change. A unit folder the range deleted is planned as a destroy, in the tree of the commit that last
held it (`idp.changes` finds that commit).
The result is in dependency order and is handed to Terragrunt as a filters file (`--filters-file`),
one path expression per unit, so Terragrunt runs exactly this set in its own dependency order.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from idp.hcl import blocks, read

BOOTSTRAP = "_bootstrap"
EVERY_UNIT = ("terragrunt.hcl", ".mise.toml")
IMAGE_INPUT = 'get_env("IDP_IMAGE_DIGESTS"'
_INCLUDE = re.compile(r"\$\{get_repo_root\(\)\}/(live/_units/[a-z0-9-]+\.hcl)$")
_SOURCE = re.compile(r"\$\{get_repo_root\(\)\}/(modules)//([a-z0-9-]+)$")
_REPO_FILE = re.compile(r"\$\{get_repo_root\(\)\}/(live/[^\"]+?\.hcl)")
_LOCAL_MODULE = re.compile(r'source\s*=\s*"\.\./([a-z0-9-]+)"')


class UnitsError(ValueError):
    """A unit the model cannot read: say which and why, never guess its inputs."""


def load(path: Path) -> dict[str, Any]:
    try:
        return read(path)
    except Exception as exc:  # hcl2 raises lark errors of several kinds
        raise UnitsError(f"{path}: not valid HCL ({str(exc).splitlines()[0]})") from exc


@dataclass(frozen=True)
class Unit:
    path: str  # relative to live/<env>, e.g. "eu-west-1/compute"
    inputs: tuple[str, ...]  # repository-relative files and globs it is built from
    dependencies: frozenset[str]  # unit paths (relative to live/<env>)
    reads_images: bool


@dataclass
class Affected:
    plan: list[str] = field(default_factory=list)  # unit paths, dependency order
    destroy: list[str] = field(default_factory=list)  # unit folders the range deleted
    trees: dict[str, str] = field(default_factory=dict)  # deleted unit -> the commit that last held it

    def filters(self) -> str:
        """Terragrunt's filters file of the units to plan: one path expression per unit, bootstrap never."""
        if not self.plan:  # negations alone would run every other unit: the caller skips Terragrunt instead
            raise UnitsError("no units to plan: nothing to run, no filters file")
        return "".join(f"./{unit}\n" for unit in self.plan) + f"!./{BOOTSTRAP}/**\n"


def _module_closure(root: Path, name: str, seen: set[str] | None = None) -> set[str]:
    seen = set() if seen is None else seen
    if name in seen:
        return seen
    folder = root / "modules" / name
    if not folder.is_dir():
        raise UnitsError(f"modules/{name}: no such module")
    seen.add(name)
    for tf in sorted(folder.glob("*.tf")):
        for called in _LOCAL_MODULE.findall(tf.read_text()):
            _module_closure(root, called, seen)
    return seen


def _unit(root: Path, env: str, folder: Path) -> Unit:
    rel = folder.relative_to(root / "live" / env).as_posix()
    where = folder.relative_to(root).as_posix()
    own = load(folder / "terragrunt.hcl")
    inputs = [f"{where}/**", *EVERY_UNIT]
    parent = folder
    while parent != root / "live" / env:  # find_in_parent_folders: region.hcl, env.hcl, account.hcl
        parent = parent.parent
        inputs.append(f"{parent.relative_to(root).as_posix()}/*.hcl")
    config = dict(own)
    texts = [(folder / "terragrunt.hcl").read_text()]
    for label, include in blocks(own, "include").items():
        match = _INCLUDE.match(str(include.get("path", "")))
        if label == "root":
            continue
        if not match:
            raise UnitsError(f"{where}: include {label!r} is not ${{get_repo_root()}}/live/_units/<unit>.hcl")
        definition = root / match.group(1)
        inputs.append(match.group(1))
        texts.append(definition.read_text())
        for key, value in load(definition).items():
            config.setdefault(key, value)
    for text in texts:  # files read from the repository root; ${...} in a path: any env's
        inputs += [re.sub(r"\$\{[^}]*\}", "*", path) for path in _REPO_FILE.findall(text)]
    source = str((config.get("terraform") or [{}])[0].get("source", ""))
    match = _SOURCE.match(source)
    if not match:
        raise UnitsError(f"{where}: terraform.source {source!r} is not ${{get_repo_root()}}/modules//<name>")
    inputs += [f"modules/{name}/**" for name in sorted(_module_closure(root, match.group(2)))]
    dependencies = frozenset(
        (folder / str(body["config_path"])).resolve().relative_to((root / "live" / env).resolve()).as_posix()
        for body in blocks(config, "dependency").values()
    )
    return Unit(rel, tuple(dict.fromkeys(inputs)), dependencies, any(IMAGE_INPUT in t for t in texts))


def _stack_units(root: Path, env: str) -> dict[str, Unit]:
    base = root / "live" / env
    found = {}
    for hcl in sorted(base.rglob("terragrunt.hcl")):
        rel = hcl.parent.relative_to(base)
        if rel.parts and rel.parts[0] != BOOTSTRAP and ".terragrunt-cache" not in rel.parts:
            unit = _unit(root, env, hcl.parent)
            found[unit.path] = unit
    return found


def stack_units(root: Path, env: str) -> dict[str, Unit]:
    """The units the pipeline runs in an env (bootstrap excluded), by path relative to live/<env>."""
    return _stack_units(root.resolve(), env)


def _matches(path: str, pattern: str) -> bool:
    if pattern.endswith("/**"):
        return path.startswith(pattern[:-2])
    return fnmatch.fnmatchcase(path, pattern) and path.count("/") == pattern.count("/")


def dependency_order(units: dict[str, Unit], chosen: set[str]) -> list[str]:
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            raise UnitsError(f"dependency cycle through {name}")
        state[name] = 1
        for dep in sorted(units[name].dependencies):
            if dep in units:
                visit(dep)
        state[name] = 2
        if name in chosen:
            order.append(name)

    for name in sorted(chosen):
        visit(name)
    return order


def affected(root: Path, env: str, paths: list[str], *, images: bool = False) -> Affected:
    """The units of `env` that `paths` (changed files, deletions included) and new images affect."""
    units = stack_units(root, env)
    direct = {
        name
        for name, unit in units.items()
        if (images and unit.reads_images) or any(_matches(p, pattern) for p in paths for pattern in unit.inputs)
    }
    dependents: dict[str, set[str]] = {name: set() for name in units}
    for name, unit in units.items():
        for dep in unit.dependencies:
            dependents.setdefault(dep, set()).add(name)
    chosen, todo = set(direct), list(direct)
    while todo:
        for user in dependents.get(todo.pop(), set()):
            if user not in chosen:
                chosen.add(user)
                todo.append(user)
    prefix = f"live/{env}/"
    gone = sorted(
        {
            p[len(prefix) : -len("/terragrunt.hcl")]
            for p in paths
            if p.startswith(prefix) and p.endswith("/terragrunt.hcl") and not p[len(prefix) :].startswith(BOOTSTRAP)
        }
        - set(units)
    )
    deleted = [unit for unit in gone if not (root / "live" / env / unit).is_dir()]
    return Affected(dependency_order(units, chosen), deleted)


def everything(root: Path, env: str) -> Affected:
    units = stack_units(root, env)
    return Affected(dependency_order(units, set(units)), [])
