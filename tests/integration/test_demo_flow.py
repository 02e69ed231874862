"""`idp demo --faults all` end to end: every document reaches its expected terminal state, the
invariants hold, and the person running it sees the table."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from idp.cli import app
from idp.local.samples import SAMPLES

runner = CliRunner()


@pytest.mark.slow
def test_demo_with_all_faults() -> None:
    result = runner.invoke(app, ["demo", "--faults", "all", "--timeout", "120"], terminal_width=160)
    output = result.output
    assert result.exit_code == 0, output
    rows = {m.group(1): (m.group(2), m.group(3)) for m in re.finditer(r"│ (\S+)\s+│ \S+\s+│ (\S+)\s+│ (\S+)", output)}
    for sample in SAMPLES:
        assert rows[sample.name] == (sample.expected.value, sample.expected.value), sample.name
    assert rows["poison-message"] == ("FAILED", "FAILED")
    for invariant in (
        "every document in exactly one terminal state",
        "no document processed twice",
        "DLQ drained by dlq_analyzer",
        "one signed callback per document, telling its status",
    ):
        assert f"✓ {invariant}" in output
    assert re.search(r"BDA throttled [1-9]\d* start call", output)
    assert "document-classifier x2" in output
    assert "record/replay double" in output
    assert "demo: PASS" in output


def test_unknown_fault_is_a_usage_error() -> None:
    result = runner.invoke(app, ["demo", "--faults", "meteor-strike"])
    assert result.exit_code == 2
    assert "choose from" in result.output


def test_the_twice_invariant_reads_every_page_of_executions() -> None:
    """`idp demo --documents 150` reported "100 executions": ListExecutions pages at 100."""
    import json

    import boto3
    from moto import mock_aws

    from idp.local.demo import all_executions

    with mock_aws():
        sfn = boto3.client("stepfunctions", region_name="eu-west-1")
        definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
        arn = sfn.create_state_machine(name="pages", definition=definition, roleArn="arn:aws:iam::123456789012:role/r")[
            "stateMachineArn"
        ]
        for n in range(151):
            sfn.start_execution(stateMachineArn=arn, name=f"doc-{n}")
        assert len(sfn.list_executions(stateMachineArn=arn)["executions"]) == 100  # one page: what it read before
        names = [e["name"] for e in all_executions(sfn, arn)]
    assert len(names) == 151
    assert len(set(names)) == 151
