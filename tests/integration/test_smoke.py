"""idp smoke against the local stack (the same checks the deploy workflow runs against AWS).
The positive run happens inside tests/integration/test_terraform_stack.py, on the stack Terraform applied."""

from __future__ import annotations

from typer.testing import CliRunner

from idp.cli import app
from idp.smoke import run_smoke


def smoke_against(api_url: str) -> None:
    """Called with a running local stack (by the Terraform stack test, which keeps one up)."""
    result = CliRunner().invoke(app, ["smoke", "--env", "local", "--api", api_url, "--timeout", "60"])
    assert result.exit_code == 0, result.output
    assert "PASS  result document" in result.output
    wrong = run_smoke(api_url, timeout=60, poll=0.5, expected="LOW_CONFIDENCE")
    assert not wrong.ok
    assert "FAIL  status is LOW_CONFIDENCE: COMPLETED" in wrong.render()


def test_unreachable_api_fails_with_the_reason() -> None:
    report = run_smoke("http://127.0.0.1:9", timeout=1)
    assert not report.ok
    assert report.render().startswith("FAIL  GET /health: unreachable")
