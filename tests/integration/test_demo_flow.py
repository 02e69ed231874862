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


def test_the_help_names_every_fault() -> None:
    from idp.local.demo import Fault

    shown = " ".join(runner.invoke(app, ["demo", "--help"], terminal_width=200).output.split())
    assert [f.value for f in Fault if f.value not in shown] == []


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


def test_without_a_terminal_the_apply_reports_progress_now_and_then() -> None:
    """#22 row 8: `make demo > log` showed nothing for two minutes between the banner and the apply's
    summary (the live status line needs a terminal)."""
    import io

    from rich.console import Console

    from idp.local.report import LOG_EVERY, ApplyProgress

    lines = [f"module.x.aws_sqs_queue.q[{n}]: Creation complete after 1s [id=q{n}]" for n in range(2 * LOG_EVERY + 3)]
    lines.insert(10, "module.x.aws_s3_bucket_lifecycle_configuration.l: Still creating... [30s elapsed]")
    lines.insert(11, "module.x.aws_s3_bucket_lifecycle_configuration.l: Still creating... [10s elapsed]")
    lines.append("Apply complete! Resources: 53 added, 0 changed, 0 destroyed.")
    out = io.StringIO()
    progress = ApplyProgress(Console(file=out, force_terminal=False, width=120))
    for line in lines:
        progress(line)
    progress.stop()
    said = [line for line in out.getvalue().splitlines() if line.startswith("terraform")]
    assert [s.split(" — ")[0] for s in said] == [  # before: only the last one
        "terraform apply: 10 created",  # then waiting 30 s on the lifecycle configuration (not its 10 s)
        "terraform apply: 25 resources created",
        "terraform apply: 50 resources created",
        "terraform: Apply complete! Resources: 53 added, 0 changed, 0 destroyed.",
    ]


def test_the_tables_fit_80_columns_and_cut_nothing() -> None:
    """#22 row 9: on 80 columns the table truncated (`passport…`, `COMPLET…`) and two rows could not
    be told apart."""
    import io

    from rich.console import Console

    from idp.local.demo import DemoResult, Tracked
    from idp.local.report import render
    from idp_common.status import DocumentStatus

    docs = [
        Tracked(label, "drivers-license", DocumentStatus.COMPLETED, status=status, language="en", confidence=0.96)
        for label, status in (
            ("release:invoice-declared-as-payslip#8", "LOW_CONFIDENCE"),
            ("release:invoice-declared-as-payslip#18", "COMPLETED"),
            ("passport-en", "COMPLETED"),
        )
    ]
    out = io.StringIO()
    render(DemoResult(docs, 12.0), Console(file=out, width=80, color_system=None))
    text = out.getvalue()
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "LOW_CONFIDENCE" in text  # whole
    assert "✗ expected" in text  # the one that differs says what was expected
    wide = io.StringIO()
    render(DemoResult(docs, 12.0), Console(file=wide, width=160, color_system=None))
    assert "expected" in wide.getvalue().splitlines()[2]  # its own column when there is room


def test_the_callback_and_twice_checks_say_what_went_wrong_in_words() -> None:
    """#22 row 11: `idp demo --documents 2 --timeout 3` printed a raw Python list for a check that failed."""
    from idp.local.demo import Tracked, one_callback_each, processed_once
    from idp.local.receiver import Received
    from idp_common.status import DocumentStatus

    done = Tracked("invoice-1", "invoice", DocumentStatus.COMPLETED, document_id="d1", status="COMPLETED")
    stuck = Tracked("passport-2", "passport", DocumentStatus.COMPLETED, document_id="d2", status="PROCESSING")
    told = [Received({"document_id": "d1", "status": "COMPLETED"}, signature_valid=True)]
    assert one_callback_each([done], told) == (True, "1 callbacks, all signatures valid")
    ok, said = one_callback_each([done, stuck], [*told, Received({"document_id": "d1"}, signature_valid=False)])
    assert not ok
    assert said == (
        "bad signatures: 1; missing, duplicated or wrong: invoice-1: 2 callback(s) (COMPLETED, None), status"
        " COMPLETED; passport-2: 0 callback(s) (none), status PROCESSING"
    )
    assert processed_once(["d1", "d2"], ["d1", "d2"]) == (True, "2 executions, 2 BDA jobs")
    assert processed_once(["d1", "d1", "d2"], ["d1", "d2", "d2"]) == (False, "twice: d1, d2")
    assert "[" not in said + processed_once(["d1", "d1"], ["d1"])[1]
