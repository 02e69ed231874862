"""Terraform, run for real: every AWS module - bootstrap ones included - composed as live/_units wires
them, applied with the real hashicorp/aws provider onto the embedded AWS; a second plan has nothing
to change; a destroy leaves nothing behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from idp.local.aws_server import LocalAwsServer
from idp.local.composition import LocalAccount
from idp.local.stack import LOCAL_ACCOUNT, LOCAL_REGION
from idp.local.terraform_stack import LocalStack
from idp.naming import FUNCTIONS, Names
from idp.terraform import provider_mirror

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(provider_mirror() is None, reason="needs the hashicorp/aws provider mirror (README)"),
]


@pytest.fixture
def server() -> Iterator[LocalAwsServer]:
    running = LocalAwsServer()
    running.start()
    try:
        yield running
    finally:
        running.stop()


def test_apply_then_nothing_to_change_then_destroy_leaves_nothing(server: LocalAwsServer, tmp_path: Path) -> None:
    stack = LocalStack(server, tmp_path, LocalAccount(LOCAL_ACCOUNT, LOCAL_REGION))
    stack.init()
    stack.apply()

    outputs = stack.outputs()
    names = Names("idp", "local", LOCAL_ACCOUNT, LOCAL_REGION)
    assert outputs["storage__input_bucket_name"] == names.input_bucket
    assert set(outputs["compute__function_names"]) == set(FUNCTIONS)
    assert outputs["compute__function_names"]["sqs_poller"] == names.function("sqs_poller")
    assert outputs["orchestration__state_machine_arn"] == names.state_machine_arn
    built = stack.leftovers()
    assert f"state machine: {names.state_machine}" in built
    assert any(item.startswith("iam oidc provider: ") for item in built)  # the bootstrap is in the stack

    code, text = stack.plan()
    assert code == 0, f"a second plan wants changes (a perpetual diff):\n{text[-4000:]}"

    stack.destroy()
    assert stack.leftovers() == []
