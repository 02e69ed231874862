"""Budgets (make bench): the full local apply of every AWS module <= 90 s, and `make demo` end to end
(apply, read back, ten documents) <= 120 s, on the 2-core machine."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from idp.cli import app
from idp.local.aws_server import LocalAwsServer
from idp.local.composition import LocalAccount
from idp.local.stack import LOCAL_ACCOUNT, LOCAL_REGION, LocalTimings
from idp.local.terraform_stack import LocalStack

APPLY_BUDGET_SECONDS = 90
DEMO_BUDGET_SECONDS = 120
STATES_PER_DOCUMENT = 6  # event-driven BDA: the happy path, however long BDA takes (README, Event-driven BDA)

pytestmark = [
    pytest.mark.bench,
    pytest.mark.skipif(shutil.which("terraform") is None, reason="needs terraform (README: Prerequisites)"),
]


def test_the_full_local_apply_fits_the_budget(tmp_path: Path) -> None:
    server = LocalAwsServer()
    server.start()
    try:
        stack = LocalStack(server, tmp_path, LocalAccount(LOCAL_ACCOUNT, LOCAL_REGION), LocalTimings().overrides())
        stack.init()
        seconds = stack.apply()
        print(f"\nfull local apply: {seconds:.1f} s (budget {APPLY_BUDGET_SECONDS} s)")
        assert seconds <= APPLY_BUDGET_SECONDS
    finally:
        server.stop()


def test_the_demo_end_to_end_fits_the_budget() -> None:
    started = time.monotonic()
    result = CliRunner().invoke(app, ["demo"], terminal_width=160)
    seconds = time.monotonic() - started
    assert result.exit_code == 0, result.output
    assert "Apply complete!" in result.output
    assert "demo: PASS" in result.output
    assert f"every processed document entered {STATES_PER_DOCUMENT} states" in result.output
    print(f"\nidp demo end to end: {seconds:.1f} s (budget {DEMO_BUDGET_SECONDS} s)")
    assert seconds <= DEMO_BUDGET_SECONDS
