"""What the local run reads back from the embedded AWS must be wireable into one process; anything
else stops the run with what differs (the whole read-back runs in tests/integration/test_terraform_stack.py)."""

from __future__ import annotations

import pytest

from idp.local.stack import Built, EventSource, Function, ReadBackError
from idp.naming import Names


def built(*functions: Function) -> Built:
    return Built(
        names=Names("idp", "local", "123456789012", "eu-west-1"),
        functions={f.key: f for f in functions},
        state_machine_arn="arn:aws:states:eu-west-1:123456789012:stateMachine:m",
        event_source=EventSource("http://q", "arn:aws:sqs:eu-west-1:123456789012:q", "sqs_poller", 10, True),
        bda_events=EventSource("http://b", "arn:aws:sqs:eu-west-1:123456789012:b", "bda_orchestrator", 10, True),
        callbacks=EventSource("http://c", "arn:aws:sqs:eu-west-1:123456789012:c", "status_updater", 10, True),
        dlq_url="http://dlq",
        callback_secret="s",
        routes=(),
        outputs={},
    )


def test_the_functions_variables_merge_into_one_process_environment() -> None:
    stack = built(
        Function("sqs_poller", "p", "r1", {"DOCUMENTS_TABLE": "t", "POWERTOOLS_SERVICE_NAME": "sqs_poller"}),
        Function("status_updater", "s", "r2", {"DOCUMENTS_TABLE": "t", "POWERTOOLS_SERVICE_NAME": "status_updater"}),
    )
    assert stack.environment() == {"DOCUMENTS_TABLE": "t"}  # the per-function name is left out


def test_two_functions_that_disagree_on_a_variable_stop_the_run() -> None:
    stack = built(
        Function("sqs_poller", "p", "r1", {"DOCUMENTS_TABLE": "one"}),
        Function("status_updater", "s", "r2", {"DOCUMENTS_TABLE": "two"}),
    )
    with pytest.raises(ReadBackError, match="DOCUMENTS_TABLE differs"):
        stack.environment()


def test_a_caller_that_invokes_latest_or_a_version_stops_the_run() -> None:
    """Every caller invokes the `live` alias (#21): one read back naming the function or a version fails."""
    from idp.local.lambda_router import function_name_of
    from idp.local.stack import _invokes_live

    live = "arn:aws:lambda:eu-west-1:123456789012:function:idp-local-sqs-poller:live"
    by_arn = {live: "sqs_poller"}
    _invokes_live(by_arn, live, "the intake mapping")
    for target in (live.removesuffix(":live"), live.replace(":live", ":3")):
        with pytest.raises(ReadBackError, match="not a function's 'live' alias"):
            _invokes_live(by_arn, target, "the intake mapping")
    assert {function_name_of(t) for t in (live, live.removesuffix(":live"), "idp-local-sqs-poller:live")} == {
        "idp-local-sqs-poller"
    }
