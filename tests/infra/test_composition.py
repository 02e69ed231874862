"""The local stack is the units: every unit's inputs, from the same dependency outputs, and nothing else."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from idp.hcl import load
from idp.local.composition import (
    BOOTSTRAP_UNITS,
    STACK_UNITS,
    UNITS_DIR,
    CompositionError,
    LocalAccount,
    compose,
    module_name,
    write,
)
from idp.local.stack import LocalTimings
from idp.terraform import seed_lock_file, terraform_binary, terraform_env
from tests.conftest import REPO_ROOT

ACCOUNT = LocalAccount("123456789012", "eu-west-1")
UNITS = BOOTSTRAP_UNITS + STACK_UNITS


def test_every_unit_of_an_env_is_composed() -> None:
    deployed = {p.name for p in (REPO_ROOT / "live" / "dev" / "eu-west-1").iterdir() if p.is_dir()}
    bootstrap = {p.name for p in (REPO_ROOT / "live" / "dev" / "_bootstrap").iterdir() if p.is_dir()}
    assert set(STACK_UNITS) == deployed
    assert set(BOOTSTRAP_UNITS) == bootstrap


def test_each_module_gets_its_units_inputs_from_the_same_outputs(tmp_path: Path) -> None:
    config = compose("http://127.0.0.1:1", ACCOUNT, tmp_path)
    for unit in UNITS:
        doc = load(UNITS_DIR / f"{unit}.hcl")
        block = config["module"][module_name(unit)]
        inputs = doc.get("inputs") or {}
        assert set(inputs) <= set(block), unit
        assert set(block) - set(inputs) <= {"source", "project", "environment"}, unit
        dependencies = {label: Path(b["config_path"]).name for d in doc.get("dependency", []) for label, b in d.items()}
        for name, value in inputs.items():
            for label, output in re.findall(r"dependency\.(\w+)\.outputs\.(\w+)", str(value)):
                assert f"module.{module_name(dependencies[label])}.{output}" in str(block[name]), (unit, name)


def test_an_expression_the_translation_does_not_know_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    units = tmp_path / "_units"
    units.mkdir()
    (units / "odd.hcl").write_text(
        'terraform {\n  source = "${get_repo_root()}/modules//naming"\n}\n'
        'inputs = {\n  project = get_env("SOMETHING_ELSE", "x")\n}\n'
    )
    monkeypatch.setattr("idp.local.composition.UNITS_DIR", units)
    with pytest.raises(CompositionError, match="get_env"):
        compose("http://127.0.0.1:1", ACCOUNT, tmp_path, units=("odd",))


def test_the_local_timings_are_module_variables_and_nothing_else(tmp_path: Path) -> None:
    overrides = LocalTimings().overrides()
    config = compose("http://127.0.0.1:1", ACCOUNT, tmp_path, overrides=overrides)
    for unit, values in overrides.items():
        for name, value in values.items():
            assert config["module"][module_name(unit)][name] == value, (unit, name)
    with pytest.raises(CompositionError, match=r"messaging: override of \['visibility'\]"):
        compose("http://127.0.0.1:1", ACCOUNT, tmp_path, overrides={"messaging": {"visibility": 1}})
    with pytest.raises(CompositionError, match="not composed"):
        compose("http://127.0.0.1:1", ACCOUNT, tmp_path, units=("security",), overrides={"compute": {}})


@pytest.mark.skipif(shutil.which("terraform") is None, reason="needs terraform (README: Prerequisites)")
def test_the_composition_validates_with_the_real_provider(tmp_path: Path) -> None:
    write(tmp_path, "http://127.0.0.1:1", ACCOUNT)
    seed_lock_file(tmp_path)
    env = terraform_env()
    for argv in (["init", "-backend=false", "-no-color"], ["validate", "-no-color"]):
        proc = subprocess.run(
            [terraform_binary(), *argv], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, proc.stderr or proc.stdout
