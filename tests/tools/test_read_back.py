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
