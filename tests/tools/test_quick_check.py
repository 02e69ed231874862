"""`make check` (#22): the quick lint checks what changed can affect, then the unit tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from idp.cli import app
from idp.quick_check import GATE_ONLY, TRIGGERS, QuickCheckError, changed_files, checks_for
from tests.conftest import REPO_ROOT

IDENTITY = ["-c", "user.name=dev", "-c", "user.email=dev@example.com"]


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *IDENTITY, *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.parametrize(
    ("paths", "checks"),
    [
        (["modules/api/main.tf"], ["detect-secrets", "terraform-fmt"]),
        (["live/dev/env.hcl"], ["detect-secrets", "terragrunt-fmt"]),
        (["tools/idp/cli.py"], ["ruff", "ruff-format", "mypy", "detect-secrets"]),
        (
            [".github/workflows/pr.yml"],
            ["actionlint", "zizmor", "check-jsonschema", "shellcheck", "detect-secrets"],
        ),
        (["doc-configs/invoice/schema.json"], ["check-jsonschema", "detect-secrets", "doc-configs"]),
        (["scripts/in-env"], ["shellcheck", "detect-secrets"]),
        ([], []),
    ],
)
def test_each_change_runs_the_quick_checks_it_can_affect(paths: list[str], checks: list[str]) -> None:
    assert checks_for(paths) == checks


def test_every_check_of_the_gate_is_quick_or_the_gates_own() -> None:
    """Fails if a check is added to the gate without saying whether `make check` runs it."""
    from idp.lint import CHECKS

    assert set(TRIGGERS) | set(GATE_ONLY) == set(CHECKS)
    assert not set(TRIGGERS) & set(GATE_ONLY)


def test_what_changed_is_the_branch_the_edits_and_the_new_files(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "a.py").write_text("a = 1\n")
    (tmp_path / "b.tf").write_text("")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "one")
    git(tmp_path, "checkout", "-qb", "work")
    (tmp_path / "c.hcl").write_text("")
    git(tmp_path, "add", "c.hcl")
    git(tmp_path, "commit", "-qm", "two")
    (tmp_path / "a.py").write_text("a = 2\n")  # an edit
    (tmp_path / "new.sh").write_text("#!/bin/sh\n")  # untracked
    changed, compared = changed_files(tmp_path, "main")
    assert changed == ["a.py", "c.hcl", "new.sh"]
    assert compared.startswith("main (")
    everything, said = changed_files(tmp_path, "nosuch")
    assert everything == ["a.py", "b.tf", "c.hcl", "new.sh"]
    assert said == "everything ('nosuch' is not a commit here)"
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / ".git").write_text("not a repository")  # git stops here instead of looking further up
    with pytest.raises(QuickCheckError, match="is not a git repository"):
        changed_files(plain, "main")


def test_the_command_says_what_it_runs_and_fails_like_the_gate(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "ok.py").write_text("x = 1\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "one")
    runner = CliRunner()
    nothing = runner.invoke(app, ["lint", "--quick", "--root", str(tmp_path)])
    assert nothing.exit_code == 0
    assert "0 file(s) changed since main" in nothing.output
    assert "-> no check" in nothing.output
    (tmp_path / "bad.py").write_text("import os\n")  # unused import: ruff's F401
    failed = runner.invoke(app, ["lint", "--quick", "--root", str(tmp_path), "--only", "ruff"])
    assert failed.exit_code == 1, failed.output
    assert "FAIL  ruff" in failed.output
    assert "F401" in failed.output


def test_make_check_is_the_quick_lint_then_the_unit_tests() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()
    target = makefile.split("\ncheck:", 1)[1].split("\n\n", 1)[0]
    assert "idp lint --quick" in target
    assert "pytest -m unit" in target
    assert "--cov" not in target


CHECK_BUDGET_SECONDS = 60  # #22: the inner loop


@pytest.mark.bench
def test_make_check_fits_its_budget() -> None:
    """`make check` on this tree, warm (its environments installed, mypy's cache there)."""
    import time

    subprocess.run(["make", "-s", "check"], cwd=REPO_ROOT, capture_output=True, check=False)  # warm mypy's cache
    started = time.monotonic()
    done = subprocess.run(["make", "-s", "check"], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    print(f"\nmake check: {seconds:.1f} s (budget {CHECK_BUDGET_SECONDS} s)")
    assert seconds <= CHECK_BUDGET_SECONDS
