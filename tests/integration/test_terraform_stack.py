"""Terraform, run for real, and the system running on what it built - one apply, every check on it.

Every AWS module (bootstrap ones included), composed as live/_units wires them, applied with the real
hashicorp/aws provider onto the embedded AWS. On that stack: `idp demo --faults all` (the documents
table and its invariants), the paths the demo does not take, `idp smoke`, least privilege of every
handler against its role as the embedded IAM holds it; then a second plan has nothing to change, the
pipeline roles allow what Terraform called, and a destroy leaves nothing behind.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import threading
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from rich.console import Console

import dlq_analyzer.app as dlq_app
import document_cleanup.app as cleanup_app
from idp.api_client import ApiClient, default_credentials
from idp.local.api_gateway import ROUTES, declared_models
from idp.local.bda_double import ReplayBda
from idp.local.calls import Call
from idp.local.demo import PROCESSED, DemoResult, Fault, cost_by_type, run_demo
from idp.local.iam_actions import action_for, allowed, granted_actions, refused, role_documents, statements
from idp.local.lambda_router import LocalContext, current_function, invoking
from idp.local.report import render
from idp.local.samples import SAMPLES
from idp.local.stack import LOCAL_ACCOUNT, LOCAL_REGION, LocalRun, local_stack
from idp.naming import FUNCTIONS
from idp_common import aws
from idp_common.documents import iso, utcnow
from tests.integration.test_smoke import smoke_against
from tests.workflows.test_act_scenarios import deploy_through_every_env

pytestmark = [
    pytest.mark.slow,
    pytest.mark.first,
    pytest.mark.skipif(shutil.which("terraform") is None, reason="needs terraform (README: Prerequisites)"),
]

# Granted to a function's role but used on its behalf, not by its handler's code:
DELEGATED = {
    # Lambda's SQS event source mapping polls with the function's role.
    "sqs_poller": {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"},
    # BDA reads the input and writes its output with the caller's credentials; Lambda's event source
    # mapping polls BDA's ended events with the function's role.
    "bda_orchestrator": {
        "s3:GetObject",
        "s3:PutObject",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes",
    },
    # ... and the callbacks queue's with status_updater's (it also delays a failed callback itself).
    "status_updater": {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"},
}
RUNTIME_PREFIXES = ("kms:", "logs:", "xray:")  # the services and the Lambda runtime call these
UNREACHABLE_RECEIVER = "http://127.0.0.1:9/callback"  # nothing listens on the discard port


class HandlerCalls:
    """Each AWS call a handler makes, as the IAM action its role must allow (client-side: the handler
    is known by the thread that runs it)."""

    def __init__(self) -> None:
        self.calls: dict[str, set[str]] = defaultdict(set)
        self.lock = threading.Lock()

    def record(self, function: str | None, action: str) -> None:
        if function is None:
            return
        key = next((f for f in FUNCTIONS if function in (f, f"idp-local-{f.replace('_', '-')}")), function)
        with self.lock:
            self.calls[key].add(action)

    def hook(self, signing_name: str) -> Any:
        def before_sign(operation_name: str, **_: Any) -> None:
            self.record(current_function(), action_for(signing_name, operation_name))

        return before_sign


@pytest.fixture
def handler_calls(monkeypatch: pytest.MonkeyPatch) -> HandlerCalls:
    calls = HandlerCalls()
    original = aws.client.__wrapped__  # the uncached factory

    def recording_client(service: str) -> Any:
        client = original(service)
        client.meta.events.register("before-sign", calls.hook(client.meta.service_model.signing_name))
        return client

    monkeypatch.setattr(aws, "client", functools.cache(recording_client))
    for name, action in (("start", "bedrock:InvokeDataAutomationAsync"), ("status", "bedrock:GetDataAutomationStatus")):
        real = getattr(ReplayBda, name)

        def stand_in(self: Any, *args: Any, _real: Any = real, _action: str = action, **kwargs: Any) -> Any:
            calls.record(current_function(), _action)  # the double stands in for this BDA call
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(ReplayBda, name, stand_in)
    return calls


def bootstrap(call: Call, roles: str) -> bool:
    """The admin's part of the apply: pipeline roles, OIDC provider, workload boundary, state bucket."""
    return (
        call.subject.startswith((roles, "idp-platform-image-push", "arn:aws:iam::123456789012:oidc-provider"))
        or call.subject.endswith("-workload-boundary")
        or (call.service == "s3" and "-terraform-state-" in call.subject)
        or call.operation.endswith("OpenIDConnectProvider")
    )


def check_the_table(result: DemoResult) -> None:
    """What `idp demo` shows a person, from the same renderer."""
    console = Console(record=True, width=160)
    render(result, console)
    output = console.export_text()
    rows = {m.group(1): (m.group(2), m.group(3)) for m in re.finditer(r"│ (\S+)\s+│ \S+\s+│ (\S+)\s+│ (\S+)", output)}
    for sample in SAMPLES:
        assert rows[sample.name] == (sample.expected.value, sample.expected.value), sample.name
    assert rows["poison-message"] == ("FAILED", "FAILED")
    assert rows["stuck-job"] == ("FAILED", "FAILED")  # BDA never answered: ended at the deadline, announced
    reasons = {d.label: d.reason or "" for d in result.documents}
    assert re.search(
        r"BDA job [0-9a-f-]{36} had not ended \d+ s after it started \(status InProgress\)", reasons["stuck-job"]
    )
    assert "BDA job ended ClientError" in reasons["corrupt-scan"]  # sent as the task's failure by its ended event
    for invariant in (
        "every document in exactly one terminal state",
        "no document processed twice",
        "DLQ drained by dlq_analyzer",
        "one signed callback per document, telling its status",
        "every processed document entered 6 states (the happy path; no polling)",
        "BDA jobs in flight never above the env's bound (3)",  # 12 documents: 4x the local bound
    ):
        assert f"✓ {invariant}" in output
    assert re.search(r"BDA throttled [1-9]\d* start call", output)
    assert "document-classifier x2" in output
    refused = re.search(r"callbacks refused while the receiver was down: (\d+), each retried later", output)
    assert refused is not None
    assert int(refused.group(1)) >= 2 * len(result.documents)  # two refusals of every callback, all then delivered
    assert "demo: PASS" in output
    # What a document costs, by type, from the run's measured usage (idp.costs, the region's list prices).
    assert "Estimated cost per document (USD, eu-west-1 list prices of" in output
    rows = cost_by_type(result)
    assert {kind for kind, *_ in rows} == {s.declared_type for s in SAMPLES if s.expected.value in PROCESSED}
    for kind, _, usd, usage in rows:
        assert usage.bda_pages >= 1, kind
        assert usage.sfn_transitions == 6, kind
        assert usd > 0.04 * usage.bda_pages, kind  # BDA's pages and then the rest
    assert "✓ a bad release returns all traffic automatically, no Terraform apply" in output


def exercise_the_rest(local: LocalRun, result: DemoResult, api_url: str, github: Path) -> None:
    """Paths the demo run does not take: an oversized upload, expiry and purge, a DLQ redrive, smoke, and
    a push deployed by the real workflows (act) through every env, smoke-tested against this stack."""
    s3, ddb, sqs = (local.client(s) for s in ("s3", "dynamodb", "sqs"))
    names = local.names
    # 1. an upload larger than its type allows: sqs_poller fails the document and deletes the object
    api = ApiClient(api_url, default_credentials(), LOCAL_REGION)  # signed, as the API's IAM auth requires
    _, created = api.call(
        "POST",
        "/documents",
        {
            "document_type": "payslip",
            "content_type": "application/pdf",
            "filename": "big.pdf",
            "callback_url": UNREACHABLE_RECEIVER,
        },
    )
    s3.put_object(Bucket=names.input_bucket, Key=created["upload"]["fields"]["key"], Body=b"x" * (10 * 1024 * 1024 + 1))
    deadline = time.monotonic() + 150  # 6 attempts, backoff up to 1+2+4+8+16 s, on a loaded machine
    while time.monotonic() < deadline:
        item = ddb.get_item(TableName=names.documents_table, Key={"document_id": {"S": created["document_id"]}})["Item"]
        if item["status"]["S"] == "FAILED" and "dead-lettered" in item.get("callback_status", {}).get("S", ""):
            break
        time.sleep(0.3)
    assert item["status"]["S"] == "FAILED"
    # announced through the callbacks queue: the receiver never answers, so each attempt is retried
    # with backoff until the last, then the message is dead-lettered and the record says so
    assert item["callback_status"]["S"].startswith(
        f"dead-lettered after {local.timings.callback_max_attempts} attempts"
    )
    dead = sqs.get_queue_url(QueueName=names.callbacks_dlq)["QueueUrl"]
    letters = sqs.receive_message(QueueUrl=dead, MaxNumberOfMessages=10, WaitTimeSeconds=5).get("Messages", [])
    assert created["document_id"] in {json.loads(m["Body"])["document_id"] for m in letters}
    # 1b. each caller sees only its documents, through the signed API: another principal (a role session
    #     the embedded STS issued) gets 404 for the first one's document; the role's next session is the
    #     same caller
    other, again = (role_session(local, f"client-{n}") for n in (1, 2))
    assert api.call("GET", f"/documents/{created['document_id']}")[0] == 200
    status, body = ApiClient(api_url, other, LOCAL_REGION).call("GET", f"/documents/{created['document_id']}")
    assert (status, body["error"]) == (404, "not_found")
    _, theirs = ApiClient(api_url, other, LOCAL_REGION).call(
        "POST", "/documents", {"document_type": "invoice", "content_type": "application/pdf", "filename": "a.pdf"}
    )
    assert ApiClient(api_url, again, LOCAL_REGION).call("GET", f"/documents/{theirs['document_id']}")[0] == 200
    assert api.call("GET", f"/documents/{theirs['document_id']}")[0] == 404
    # 2. a finished document past retention and an upload slot never used: document_cleanup
    #    purges the first and expires the second
    done = next(d for d in result.documents if d.status == "COMPLETED")
    _, stale = api.call(
        "POST",
        "/documents",
        {
            "document_type": "invoice",
            "content_type": "application/pdf",
            "filename": "never.pdf",
            "callback_url": UNREACHABLE_RECEIVER,
        },
    )
    #    ... and a document stuck in PROCESSING past its deadline: ended FAILED, its execution stopped
    _, stuck = api.call(
        "POST", "/documents", {"document_type": "invoice", "content_type": "application/pdf", "filename": "s.pdf"}
    )
    for document_id, age in ((done.document_id, timedelta(days=400)), (stale["document_id"], timedelta(hours=2))):
        ddb.update_item(
            TableName=names.documents_table,
            Key={"document_id": {"S": document_id}},
            UpdateExpression="SET created_at = :c",
            ExpressionAttributeValues={":c": {"S": iso(utcnow() - age)}},
        )
    long_ago = iso(utcnow() - timedelta(hours=3))
    ddb.update_item(
        TableName=names.documents_table,
        Key={"document_id": {"S": stuck["document_id"]}},
        UpdateExpression="SET #s = :p, created_at = :t, updated_at = :t",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":p": {"S": "PROCESSING"}, ":t": {"S": long_ago}},
    )
    with invoking("document_cleanup"):
        report = cleanup_app.handler({}, LocalContext("document_cleanup"))
    assert done.document_id in report["purged"]
    assert stale["document_id"] in report["expired"]
    assert report["overdue"] == [stuck["document_id"]]
    expired = ddb.get_item(TableName=names.documents_table, Key={"document_id": {"S": stale["document_id"]}})["Item"]
    assert expired["callback_status"]["S"] in {"queued"} or expired["callback_status"]["S"].startswith("retrying")
    # 3. a dead letter redriven by dlq_analyzer
    key = "uploads/0b7e1b9e-8c1f-4a53-9d7e-1f0f7a1c2d3e/x.pdf"
    body = json.dumps({"Records": [{"s3": {"object": {"key": key, "size": 1}}}]})
    sqs.send_message(QueueUrl=local.built.dlq_url, MessageBody=body)
    with invoking("dlq_analyzer"):
        assert dlq_app.handler({"redrive": True}, LocalContext("dlq_analyzer"))["redriven"] == 1
    # 4. idp smoke against the same running stack (its calls are a client's, not a handler's)
    smoke_against(api_url)
    # 5. the delivery's happy path, run by act, validated against this stack
    deploy_through_every_env(local.server, api_url, github)


def role_session(local: LocalRun, name: str) -> Credentials:
    """A session of one client role, issued by the embedded STS (API Gateway accepts its signature)."""
    answer = local.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{LOCAL_ACCOUNT}:role/idp-client", RoleSessionName=name
    )["Credentials"]
    return Credentials(answer["AccessKeyId"], answer["SecretAccessKey"], answer["SessionToken"])


def least_privilege_problems(local: LocalRun, handler_calls: HandlerCalls) -> list[str]:
    """Each handler's calls against its role's policies as the embedded IAM holds them: every call
    allowed, every grant used."""
    iam = local.client("iam")
    problems = []
    for key, function in local.built.functions.items():
        documents = role_documents(iam, function.role)
        called = {a for a in handler_calls.calls.get(key, set()) if not a.startswith(RUNTIME_PREFIXES)}
        problems += [
            f"{key} calls {a} but its role does not allow it" for a in sorted(called) if not allowed(a, documents)
        ]
        unused = granted_actions(documents) - called - DELEGATED.get(key, set())
        problems += [
            f"{key} is granted {a} but never calls it" for a in sorted(unused) if not a.startswith(RUNTIME_PREFIXES)
        ]
    return problems


def pr_refusals(local: LocalRun, pr: list[dict[str, Any]], plan: list[dict[str, Any]]) -> list[str]:
    """What the PR plan role could read that it must not (the main plan role may: its refresh reads them)."""
    account, region = LOCAL_ACCOUNT, LOCAL_REGION
    secret = local.client("secretsmanager").describe_secret(SecretId=local.names.callback_secret)["ARN"]
    key = local.built.outputs["security__kms_key_arn"]  # the stack's key (the state has its own)
    assert key != local.built.outputs["state_backend__kms_key_arn"]
    problems = []
    via_secrets = {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}
    checks = [
        ("secretsmanager:GetSecretValue", secret, {}),
        ("kms:Decrypt", key, via_secrets),
        ("ssm:GetParameter", f"arn:aws:ssm:{region}:{account}:parameter/idp/local/x", {}),
        ("dynamodb:Scan", f"arn:aws:dynamodb:{region}:{account}:table/{local.names.documents_table}", {}),
    ]
    for action, resource, context in checks:
        if allowed(action, pr, resource=resource, context=context):
            problems.append(f"the PR plan role may {action} on {resource}")
    if not allowed("secretsmanager:GetSecretValue", plan, resource=secret, context={}):
        problems.append("the plan role cannot refresh the callback secret (its refresh reads it)")
    return problems


def trust_problems(iam: Any, roles: str) -> list[str]:
    """Who may assume each pipeline role, as the embedded IAM holds its trust policy (GitHub's token
    claims: sub, aud, job_workflow_ref). A branch's edited workflow gets the PR plan role at most."""
    repository, workflows = "repo:your-org/idp-platform", "your-org/idp-platform/.github/workflows"

    def token(sub: str, workflow: str) -> dict[str, str]:
        return {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": f"{repository}:{sub}",
            "token.actions.githubusercontent.com:job_workflow_ref": f"{workflows}/{workflow}",
        }

    cases = [  # (role, token, may assume)
        ("plan", token("ref:refs/heads/main", "_plan.yml@refs/heads/main"), True),
        ("plan", token("pull_request", "_plan.yml@refs/pull/7/merge"), False),
        ("plan", token("ref:refs/heads/main", "edited.yml@refs/heads/main"), False),
        ("pr-plan", token("pull_request", "_plan.yml@refs/pull/7/merge"), True),
        ("apply", token("environment:local", "_apply.yml@refs/heads/main"), True),
        ("apply", token("environment:local", "_apply.yml@refs/heads/feature"), False),
        ("apply", token("pull_request", "_apply.yml@refs/pull/7/merge"), False),
    ]
    problems = []
    for role, claims, expected in cases:
        trust = iam.get_role(RoleName=f"{roles}-{role}")["Role"]["AssumeRolePolicyDocument"]
        document = json.loads(unquote(trust)) if isinstance(trust, str) else trust
        if allowed("sts:AssumeRoleWithWebIdentity", [document], context=claims) != expected:
            problems.append(f"{role}: {'refused' if expected else 'trusted'} {claims}")
    return problems


def pass_and_retrust_problems(documents: list[dict[str, Any]], stack_role: str, off_the_path: str) -> list[str]:
    """PassRole and UpdateAssumeRolePolicy have no boundary condition key: they reach only the stack's
    path, where every role carries the boundary (outside_the_boundary), and PassRole only to the
    services that run the stack."""
    problems = []
    for service, expected in (("lambda.amazonaws.com", True), ("ec2.amazonaws.com", False)):
        if (
            allowed("iam:PassRole", documents, resource=stack_role, context={"iam:PassedToService": service})
            != expected
        ):
            problems.append(f"PassRole of a stack role to {service}: {'refused' if expected else 'allowed'}")
    for action, context in (
        ("iam:PassRole", {"iam:PassedToService": "lambda.amazonaws.com"}),
        ("iam:UpdateAssumeRolePolicy", {}),
    ):
        if allowed(action, documents, resource=off_the_path, context=context):
            problems.append(f"{action} on a role off the stack's path ({off_the_path})")
    return problems


def escalations(local: LocalRun, roles: str) -> list[str]:
    """Ways for the apply role, as the embedded IAM holds it, to more than the stack needs: a role
    without the workload boundary, a boundary lifted, a pipeline identity changed. Also: every stack
    role as applied carries the boundary."""
    iam = local.client("iam")
    account = local.names.account_id
    boundary = f"arn:aws:iam::{account}:policy/{local.names.workload_boundary}"
    documents = role_documents(iam, f"{roles}-apply")
    stack_role = iam.get_role(RoleName=local.built.functions["sqs_poller"].role)["Role"]["Arn"]
    off_the_path = f"arn:aws:iam::{account}:role/{local.names.prefix}-made-by-an-admin"  # no boundary
    bounded = {"iam:PermissionsBoundary": boundary}
    problems = []
    problems += pass_and_retrust_problems(documents, stack_role, off_the_path)
    if not allowed("iam:CreateRole", documents, resource=stack_role, context=bounded):
        problems.append("cannot create a stack role with the boundary")
    for action in ("iam:CreateRole", "iam:AttachRolePolicy", "iam:PutRolePolicy"):
        for context in ({}, {"iam:PermissionsBoundary": f"arn:aws:iam::{account}:policy/other"}):
            if allowed(action, documents, resource=stack_role, context=context):
                problems.append(f"{action} without the boundary ({context or 'none'})")
    if allowed("iam:DeleteRolePermissionsBoundary", documents, resource=stack_role, context=bounded):
        problems.append("can lift a role's boundary")
    pipeline = [f"{roles}-apply", f"{roles}-plan", "idp-platform-image-push"]
    for name in pipeline:
        for action in ("iam:UpdateAssumeRolePolicy", "iam:AttachRolePolicy", "iam:PutRolePolicy"):
            if allowed(action, documents, resource=f"arn:aws:iam::{account}:role/{name}", context=bounded):
                problems.append(f"{action} on the pipeline role {name}")
    if allowed("iam:CreatePolicyVersion", documents, resource=boundary, context={}):
        problems.append("can rewrite the boundary")
    return problems + outside_the_boundary(local, boundary)


def audit_record_problems(local: LocalRun, roles: str) -> list[str]:
    """A deployment's audit record, written as the apply job writes it (`aws s3 cp` with a checksum),
    cannot be deleted by anyone before its retention ends: the embedded S3 refuses the version's
    deletion (Object Lock, modules/storage), and the apply role may not bypass the lock."""
    s3 = local.client("s3")
    bucket, key = local.names.audit_bucket, "deployments/2026/12/04/1-1.json"
    version = s3.put_object(Bucket=bucket, Key=key, Body=b"{}", ChecksumAlgorithm="SHA256")["VersionId"]
    problems = []
    head = s3.head_object(Bucket=bucket, Key=key, VersionId=version)
    if head.get("ObjectLockMode") != "GOVERNANCE":  # the local env destroys its buckets: governance
        problems.append(f"the audit record is locked {head.get('ObjectLockMode')!r}, not in GOVERNANCE mode")
    try:
        s3.delete_object(Bucket=bucket, Key=key, VersionId=version)
        problems.append("the audit record's version was deleted")
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "AccessDenied":
            problems.append(f"deleting the audit record failed otherwise: {exc}")
    apply_role = role_documents(local.client("iam"), f"{roles}-apply")
    if allowed("s3:BypassGovernanceRetention", apply_role, resource=f"arn:aws:s3:::{bucket}/{key}", context={}):
        problems.append("the apply role may bypass its audit records' lock")
    return problems


def outside_the_boundary(local: LocalRun, boundary: str) -> list[str]:
    """Every stack role as applied carries the boundary, and what it is granted fits in it - every
    action on every resource its policies name - or it would fail in AWS (the embedded AWS does not
    enforce boundaries)."""
    iam = local.client("iam")
    version = iam.get_policy(PolicyArn=boundary)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=boundary, VersionId=version)["PolicyVersion"]["Document"]
    ceiling = [json.loads(unquote(document)) if isinstance(document, str) else document]
    roles = [f.role for f in local.built.functions.values()]
    roles += [f"{local.names.state_machine}-role", f"{local.names.prefix}-api-cloudwatch-logs"]
    path = local.names.workload_role_path  # where the apply role passes and re-trusts roles
    on_the_path = [
        r["RoleName"] for page in iam.get_paginator("list_roles").paginate(PathPrefix=path) for r in page["Roles"]
    ]
    problems = [f"{role} is on the stack's path but is none of its roles" for role in set(on_the_path) - set(roles)]
    problems += [f"{role} is not on the stack's path {path}" for role in set(roles) - set(on_the_path)]
    for role in roles:
        carried = iam.get_role(RoleName=role)["Role"].get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")
        if carried != boundary:
            problems.append(f"{role} carries {carried!r}, not the workload boundary")
        grants = [
            (action, resource)
            for statement in (s for d in role_documents(iam, role) for s in statements(d))
            if statement.get("Effect") == "Allow"
            for action in _listed(statement.get("Action", []))
            for resource in _listed(statement.get("Resource", "*"))
        ]
        problems += [
            f"{role}: {action} on {resource} is outside its boundary"
            for action, resource in grants
            if not allowed(action, ceiling, resource=None if resource == "*" else resource)
        ]
    return problems


def _listed(value: Any) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def test_terraform_builds_the_stack_the_system_runs_on_then_plans_nothing_and_destroys_to_nothing(
    handler_calls: HandlerCalls, tmp_path: Path
) -> None:
    with local_stack(work_dir=tmp_path) as local:
        server, terraform, built = local.server, local.terraform, local.built
        names = local.names
        # What the run reads back is what the modules declare.
        assert built.outputs["storage__input_bucket_name"] == names.input_bucket
        assert set(built.functions) == set(FUNCTIONS)
        assert built.functions["sqs_poller"].name == names.function("sqs_poller")
        assert built.state_machine_arn == names.state_machine_arn
        assert built.event_source.function == "sqs_poller"
        assert built.event_source.reports_item_failures
        assert {(r.method, r.path) for r in built.routes} == set(ROUTES)  # the API stand-in's default routes
        assert {r.authorization for r in built.routes} == {"AWS_IAM"}
        assert built.request_models == declared_models()  # what the gateway validates, as the module declares
        # The local timings went in as module variables, and came back from the embedded AWS.
        queue = local.client("sqs").get_queue_attributes(QueueUrl=built.input_queue_url, AttributeNames=["All"])
        assert queue["Attributes"]["VisibilityTimeout"] == "6"
        assert json.loads(queue["Attributes"]["RedrivePolicy"])["maxReceiveCount"] == 2
        assert built.functions["sqs_poller"].environment["BDA_DEADLINE_SECONDS"] == str(
            local.timings.bda_deadline_seconds
        )

        # The system on what Terraform built.
        with server.phase("run"):
            result = run_demo(
                stack=local,
                faults=set(Fault),
                timeout=120,
                keep=lambda result, api_url, _: exercise_the_rest(local, result, api_url, tmp_path / "github"),
            )
        check_the_table(result)
        assert result.ok
        problems = least_privilege_problems(local, handler_calls)
        assert problems == [], "\n".join(problems)

        code, text = terraform.plan()
        assert code == 0, f"a second plan wants changes (a perpetual diff):\n{text[-4000:]}"

        # The pipeline roles, as applied, against what Terraform called: the plan role can refresh
        # every unit and write nothing; the apply role can apply the stack (the bootstrap - pipeline
        # roles, OIDC provider, state bucket - is an admin's).
        iam = local.client("iam")
        roles = "idp-platform-local"  # <repository>-<env>, modules/github-oidc
        plan_calls = server.recorder.of("plan")
        assert len(plan_calls) > 100
        assert refused(plan_calls, role_documents(iam, f"{roles}-plan"), reads_only=True) == []
        # A pull request's plan (its workflow files are the branch's own): no refresh, the PR plan role -
        # every call it makes is allowed, and it may read no secret value and decrypt nothing but the state.
        code, _ = terraform.plan(refresh=False, phase="pr-plan")
        assert code == 0
        pr_documents = role_documents(iam, f"{roles}-pr-plan")
        assert refused(server.recorder.of("pr-plan"), pr_documents, reads_only=True) == []
        assert pr_refusals(local, pr_documents, role_documents(iam, f"{roles}-plan")) == []
        assert trust_problems(iam, roles) == []
        stack_calls = [c for c in server.recorder.of("apply") if not bootstrap(c, roles)]
        assert refused(stack_calls, role_documents(iam, f"{roles}-apply")) == []
        assert escalations(local, roles) == []
        assert audit_record_problems(local, roles) == []

        terraform.destroy()
        # What is left is the data `idp configs publish` owns (the config version, the BDA project's
        # ARN), never a resource of Terraform's.
        assert sorted(terraform.leftovers()) == sorted(
            f"ssm parameter: {p}" for p in (names.config_version_parameter, names.bda_project_parameter)
        )
