"""Terraform, run for real: every AWS module - bootstrap ones included - composed as live/_units wires
them, applied with the real hashicorp/aws provider onto the embedded AWS; a second plan has nothing
to change; a destroy leaves nothing behind."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from idp.local.aws_server import Call, LocalAwsServer
from idp.local.composition import LocalAccount
from idp.local.iam_actions import refused, role_documents
from idp.local.stack import LOCAL_ACCOUNT, LOCAL_REGION
from idp.local.terraform_stack import LocalStack
from idp.naming import FUNCTIONS, Names

pytestmark = [
    pytest.mark.slow,
    pytest.mark.first,
    pytest.mark.skipif(shutil.which("terraform") is None, reason="needs terraform (README: Prerequisites)"),
]


def bootstrap(call: Call, roles: str) -> bool:
    return (
        call.subject.startswith((roles, "idp-platform-image-push", "arn:aws:iam::123456789012:oidc-provider"))
        or (call.service == "s3" and "-terraform-state-" in call.subject)
        or call.operation.endswith("OpenIDConnectProvider")
    )


def test_apply_then_nothing_to_change_then_destroy_leaves_nothing(embedded_aws: LocalAwsServer, tmp_path: Path) -> None:
    server = embedded_aws
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

    # The pipeline roles, as applied (read back from the embedded IAM), against what Terraform called:
    # the plan role can refresh every unit and write nothing; the apply role can apply the stack (the
    # bootstrap - pipeline roles, OIDC provider, state bucket - is an admin's).
    iam = server.client("iam")
    roles = "idp-platform-local"  # <repository>-<env>, modules/github-oidc
    plan_calls = server.recorder.of("plan")
    assert len(plan_calls) > 100
    assert refused(plan_calls, role_documents(iam, f"{roles}-plan"), reads_only=True) == []
    stack_calls = [c for c in server.recorder.of("apply") if not bootstrap(c, roles)]
    assert refused(stack_calls, role_documents(iam, f"{roles}-apply")) == []

    stack.destroy()
    assert stack.leftovers() == []
