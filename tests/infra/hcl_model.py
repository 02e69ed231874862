"""A static model of modules/ and live/ read with python-hcl2 (no terraform binary needed)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from idp.environments import names
from idp.hcl import blocks, load, merged_locals

REPO_ROOT = Path(__file__).resolve().parents[2]
MODULES = REPO_ROOT / "modules"
LIVE = REPO_ROOT / "live"
ENVS = tuple(names())  # live/environments.hcl, in promotion order


@dataclass
class Module:
    name: str
    path: Path
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: set[str] = field(default_factory=set)
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)  # "type.name" -> body
    locals: dict[str, Any] = field(default_factory=dict)

    @property
    def required(self) -> set[str]:
        return {name for name, body in self.variables.items() if "default" not in body}


@cache
def module(name: str) -> Module:
    path = MODULES / name
    mod = Module(name, path)
    for tf in sorted(path.glob("*.tf")):
        doc = load(tf)
        mod.variables.update(blocks(doc, "variable"))
        mod.outputs.update(blocks(doc, "output"))
        mod.locals.update(merged_locals(doc))
        for entry in doc.get("resource", []):
            for rtype, named in entry.items():
                for rname, body in named.items():
                    mod.resources[f"{rtype}.{rname}"] = body
    return mod


def module_names() -> list[str]:
    return sorted(p.name for p in MODULES.iterdir() if (p / "main.tf").is_file())


SOURCE = re.compile(r"\$\{get_repo_root\(\)\}/modules//([a-z0-9-]+)$")
INCLUDE_UNIT = re.compile(r"\$\{get_repo_root\(\)\}/live/_units/([a-z0-9-]+)\.hcl$")
DEP_REF = re.compile(r"dependency\.([a-z_]+)\.outputs\.([a-z_]+)")


@dataclass
class Unit:
    env: str
    path: Path  # the unit's folder
    config: dict[str, Any]  # the unit's own file merged with its shared unit definition

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def module_name(self) -> str:
        match = SOURCE.match(self.config["terraform"][0]["source"])
        assert match, f"{self.path}: terraform.source is not ${{get_repo_root()}}/modules//<name>"
        return match.group(1)

    @property
    def inputs(self) -> dict[str, Any]:
        return (
            dict(self.config.get("inputs", [{}])[0])
            if isinstance(self.config.get("inputs"), list)
            else dict(self.config.get("inputs", {}))
        )

    @property
    def dependencies(self) -> dict[str, dict[str, Any]]:
        return blocks(self.config, "dependency")

    def dependency_unit(self, dep: str) -> Path:
        return (self.path / self.dependencies[dep]["config_path"]).resolve()


def unit_config(path: Path) -> dict[str, Any]:
    own = load(path / "terragrunt.hcl")
    includes = blocks(own, "include")
    config: dict[str, Any] = {k: v for k, v in own.items() if k != "include"}
    if "unit" in includes:
        match = INCLUDE_UNIT.match(includes["unit"]["path"])
        assert match, f'{path}: include "unit" must point at live/_units/<unit>.hcl'
        shared = load(LIVE / "_units" / f"{match.group(1)}.hcl")
        for key, value in shared.items():
            config.setdefault(key, value)
    return config


def units(env: str) -> list[Unit]:
    found = []
    for hcl in sorted((LIVE / env).rglob("terragrunt.hcl")):
        found.append(Unit(env, hcl.parent, unit_config(hcl.parent)))
    return found


def root_inputs() -> set[str]:
    root = load(REPO_ROOT / "terragrunt.hcl")
    inputs = root.get("inputs", {})
    return set(inputs[0] if isinstance(inputs, list) else inputs)
