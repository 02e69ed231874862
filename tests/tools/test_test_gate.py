"""scripts/test-gate (make test): lint and suite side by side, the lint report first, either failing fails it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

STAND_IN = """#!/usr/bin/env bash
# stands in for `uv run`: "$1" is the tool
case "$1" in
  pytest) sleep 1; echo "suite output"; echo "3 passed in 1.00s"; exit "${SUITE_EXIT:-0}" ;;
  idp) echo "lint: 13 passed, 0 failed"; exit "${LINT_EXIT:-0}" ;;
esac
exit 99
"""


@pytest.mark.parametrize(("lint", "suite", "ok"), [("0", "0", True), ("1", "0", False), ("0", "1", False)])
def test_the_gate_reports_both_and_fails_if_either_fails(tmp_path: Path, lint: str, suite: str, ok: bool) -> None:
    runner = tmp_path / "run"
    runner.write_text(STAND_IN)
    runner.chmod(0o755)
    proc = subprocess.run(
        [str(REPO_ROOT / "scripts" / "test-gate"), str(runner)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "LINT_EXIT": lint, "SUITE_EXIT": suite},
        timeout=60,
        check=False,
    )
    assert (proc.returncode == 0) is ok, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "lint: 13 passed, 0 failed"  # the lint report first
    assert lines[-1] == "3 passed in 1.00s"  # the suite's summary closes the output
