"""pre-commit runs every hook offline against the whole repo - the fmt hooks too, through `idp lint`
(#22 row 13: the terragrunt hook failed without terragrunt while `idp lint` checked the same files)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]


def hook_ids() -> dict[str, dict[str, object]]:
    config = yaml.safe_load((REPO_ROOT / ".pre-commit-config.yaml").read_text())
    return {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}


def test_no_hook_needs_a_binary_the_project_does_not_install() -> None:
    hooks = hook_ids()
    assert {h for h, spec in hooks.items() if spec["language"] == "system"} == set()
    assert {"terraform-fmt", "terragrunt-hcl-fmt"} <= hooks.keys()
    expected = {"ruff", "mypy", "zizmor", "actionlint", "check-jsonschema", "shellcheck", "checkov"}
    assert expected | {"detect-secrets", "doc-configs"} <= hooks.keys()


@pytest.mark.slow
def test_pre_commit_run_all_files_passes(tmp_path: Path) -> None:
    if not (REPO_ROOT / ".git").exists():
        pytest.fail("pre-commit needs a git checkout; run the suite from a clone")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    env.pop("SKIP", None)
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "pre-commit"), "run", "--all-files", "--show-diff-on-failure"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    hooks = hook_ids()
    for hook in ("terraform-fmt", "terragrunt-hcl-fmt"):  # run, not skipped, terragrunt installed or not
        line = next(ln for ln in proc.stdout.splitlines() if ln.startswith(str(hooks[hook]["name"])))
        assert line.endswith("Passed"), line
