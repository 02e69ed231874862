"""The local run end to end, with every fault injected: the invariants hold and statuses are right."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from idp.cli import app
from idp.local.demo import Fault, run_demo
from idp.local.samples import SAMPLES
from idp_common.status import DocumentStatus


@pytest.mark.slow
def test_demo_with_all_faults_reaches_the_expected_terminal_states() -> None:
    result = run_demo(faults=set(Fault), timeout=120)
    by_label = {d.label: d for d in result.documents}
    for sample in SAMPLES:
        assert by_label[sample.name].status == sample.expected, by_label[sample.name]
    assert by_label["poison-message"].status == DocumentStatus.FAILED
    assert by_label["passport-fr"].language == "fr"
    failed = {name: ok for name, (ok, _) in result.invariants.items() if not ok}
    assert failed == {}
    assert result.ok
    assert any("BDA throttled" in e and not e.startswith("BDA throttled 0") for e in result.events)


def test_unknown_fault_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["demo", "--faults", "meteor-strike"])
    assert result.exit_code == 2
    assert "choose from" in result.output
