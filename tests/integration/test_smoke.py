"""idp smoke against the local stack (the same checks the deploy workflow runs against AWS)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from idp.cli import app
from idp.local.demo import DemoRun
from idp.local.stack import embedded_stack
from idp.smoke import run_smoke


@pytest.mark.slow
def test_smoke_passes_against_the_local_stack() -> None:
    with embedded_stack() as (cloud, deployment), DemoRun(cloud, deployment, set()) as run:
        result = CliRunner().invoke(app, ["smoke", "--env", "local", "--api", run.gateway.url, "--timeout", "60"])
        wrong = run_smoke(run.gateway.url, timeout=60, poll=0.5, expected="LOW_CONFIDENCE")
    assert result.exit_code == 0, result.output
    assert "PASS  result document" in result.output
    assert not wrong.ok
    assert "FAIL  status is LOW_CONFIDENCE: COMPLETED" in wrong.render()


def test_unreachable_api_fails_with_the_reason() -> None:
    report = run_smoke("http://127.0.0.1:9", timeout=1)
    assert not report.ok
    assert report.render().startswith("FAIL  GET /health: unreachable")
