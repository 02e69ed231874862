"""`idp demo`'s own checks. The whole run - `--faults all` on the stack Terraform applied, with the
table a person sees - is in tests/integration/test_terraform_stack.py (one apply for every check)."""

from __future__ import annotations

from typer.testing import CliRunner

from idp.cli import app

runner = CliRunner()


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


def test_the_happy_path_is_read_from_the_state_machine() -> None:
    """What `idp demo` holds every processed document to: the states from StartAt along each Next."""
    import json

    import pytest

    from idp.local.demo import happy_path
    from idp.local.stack import ReadBackError
    from tests.handler_stack import ASL_PATH

    definition = json.loads(ASL_PATH.read_text())
    assert happy_path(definition) == [
        "MarkProcessing",
        "StartExtraction",
        "DetectLanguage",
        "Classify",
        "Extract",
        "RecordResult",
    ]
    looping = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}}}
    with pytest.raises(ReadBackError, match="loops"):
        happy_path(looping)


def test_the_summary_speaks_of_one_document_in_the_singular() -> None:
    """`idp demo --documents 1` printed "1 documents" (#22 row 15)."""
    from rich.console import Console

    from idp.local.demo import DemoResult, Tracked
    from idp.local.report import render
    from idp_common.status import DocumentStatus

    doc = Tracked("passport-en", "passport", DocumentStatus.COMPLETED, status="COMPLETED")
    console = Console(record=True, width=160)
    render(DemoResult([doc], 2.0), console)
    assert "1 document in 2.0 s" in console.export_text()
    render(DemoResult([doc, doc], 2.0), console)
    assert "2 documents in 2.0 s" in console.export_text()
