"""Budgets (make bench): the full local apply of every AWS module <= 90 s, `make demo` end to end
(apply, read back, ten documents) <= 120 s, a bad release's traffic back <= 60 s after its alarm, and
the local load test's p95 and throughput, on the 2-core machine."""

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


RETURN_BUDGET_SECONDS = 60  # #21: all traffic back within a minute of the alarm, no apply


def test_a_bad_release_returns_within_a_minute_and_what_a_document_costs() -> None:
    """`idp demo --faults bad-release`: how long from the alarm (or the new version's errors) to all
    traffic back on the previous version, and the estimated cost per document by type (the README's
    figures)."""
    from idp.local.demo import Fault, cost_by_type, run_demo

    result = run_demo(faults={Fault.BAD_RELEASE})
    assert result.ok, result.invariants
    assert result.release is not None
    assert result.release.record is not None
    seconds = result.release.record.seconds_to_return
    assert seconds is not None
    print(f"\nbad release: all traffic back {seconds:.2f} s after {result.release.record.trip}")
    for kind, count, usd, usage in cost_by_type(result):
        print(
            f"cost per {kind} document: ${usd:.4f} ({count} documents; Lambda {usage.lambda_gb_seconds:.3f} GB-s, "
            f"{usage.sfn_transitions:g} transitions, {usage.bda_pages:g} BDA pages)"
        )
    assert seconds <= RETURN_BUDGET_SECONDS


LOAD_BUDGET = {"p95_seconds": 30.0, "per_minute": 30.0}  # #21: the local stack under the README's load


def test_the_load_test_on_the_local_stack_and_what_its_documents_cost() -> None:
    """`idp load local` as the README states it: 40 documents at concurrency 8 through the signed API of
    the applied stack, Locust's figures and the cost read back from the embedded CloudWatch."""
    from idp.load.local_run import local_load
    from idp.load_cli import LOCAL

    result, cost = local_load(LOCAL)
    figures = result.figures()
    print(
        f"\nlocal load: {figures['documents']} documents at concurrency {LOCAL.concurrency}, "
        f"{figures['failed']} failed, p50 {figures['p50_seconds']} s, p95 {figures['p95_seconds']} s, "
        f"{figures['per_minute']} documents/min over {figures['elapsed_seconds']} s"
    )
    print(cost.splitlines()[0])
    assert result.breaches(LOCAL) == []
    assert figures["p95_seconds"] <= LOAD_BUDGET["p95_seconds"]
    assert figures["per_minute"] >= LOAD_BUDGET["per_minute"]
