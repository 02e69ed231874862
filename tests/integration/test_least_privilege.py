"""Least privilege, proven: every AWS call each handler makes in the local flow is allowed by that
function's policy in modules/security, and every action granted is one the flow uses."""

from __future__ import annotations

import functools
import json
import re
import threading
import time
from collections import defaultdict
from datetime import timedelta
from typing import Any

import boto3
import pytest

import dlq_analyzer.app as dlq_app
import document_cleanup.app as cleanup_app
from idp.api_client import ApiClient, default_credentials
from idp.local.bda_double import ReplayBda
from idp.local.demo import DemoResult, Fault, run_demo
from idp.local.lambda_router import LocalContext, current_function, invoking
from idp.local.stack import LOCAL_REGION
from idp.naming import FUNCTIONS
from idp_common import aws
from idp_common.documents import iso, utcnow
from tests.infra.hcl_model import module
from tests.integration.test_smoke import smoke_against

SERVICE_PREFIX = {"stepfunctions": "states", "bedrock-data-automation-runtime": "bedrock"}
OPERATION_ACTION = {
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "DeleteObjects"): "s3:DeleteObject",
    ("s3", "HeadObject"): "s3:GetObject",
}
# Granted to a function's role but used on its behalf, not by its handler's code:
DELEGATED = {
    # Lambda's SQS event source mapping polls with the function's role.
    "sqs_poller": {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"},
    # BDA reads the input and writes its output with the caller's credentials.
    "bda_orchestrator": {"s3:GetObject", "s3:PutObject"},
}
RUNTIME_PREFIXES = ("kms:", "logs:", "xray:")  # the services and the Lambda runtime call these
UNREACHABLE_RECEIVER = "http://127.0.0.1:9/callback"  # nothing listens on the discard port
STATEMENT = re.compile(r'\{sid = "(\w+)", actions = \[([^\]]*)\], resources = \[([^\]]*)\]\}')


def granted() -> dict[str, set[str]]:
    """function -> IAM actions, read from modules/security's function_permissions."""
    locals_ = module("security").locals
    # Statement lists shared by several functions (read_configs, use_key, read_callback_key, ...).
    shared = {
        name: {a for s in value for a in s["actions"]}
        for name, value in locals_.items()
        if isinstance(value, list) and value and all(isinstance(s, dict) and "actions" in s for s in value)
    }
    out: dict[str, set[str]] = {}
    for function, expression in locals_["function_permissions"].items():
        actions = {a for name, acts in shared.items() if f"local.{name}" in expression for a in acts}
        statements = STATEMENT.findall(expression)
        assert statements, f"could not read the statements of {function}"
        for _, action_list, _ in statements:
            actions |= set(re.findall(r'"([^"]+)"', action_list))
        out[function] = actions
    return out


class Recorder:
    def __init__(self) -> None:
        self.calls: dict[str, set[str]] = defaultdict(set)
        self.lock = threading.Lock()

    def record(self, function: str | None, action: str) -> None:
        if function is None:
            return
        key = next((f for f in FUNCTIONS if function in (f, f"idp-local-{f.replace('_', '-')}")), function)
        with self.lock:
            self.calls[key].add(action)

    def hook(self, service: str) -> Any:
        def before_sign(operation_name: str, **_: Any) -> None:
            prefix = SERVICE_PREFIX.get(service, service)
            action = OPERATION_ACTION.get((service, operation_name), f"{prefix}:{operation_name}")
            self.record(current_function(), action)

        return before_sign


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    rec = Recorder()
    original = aws.client.__wrapped__  # the uncached factory

    def recording_client(service: str) -> Any:
        client = original(service)
        client.meta.events.register("before-sign", rec.hook(service))
        return client

    monkeypatch.setattr(aws, "client", functools.cache(recording_client))
    for name, action in (("start", "bedrock:InvokeDataAutomationAsync"), ("status", "bedrock:GetDataAutomationStatus")):
        real = getattr(ReplayBda, name)

        def stand_in(self: Any, *args: Any, _real: Any = real, _action: str = action, **kwargs: Any) -> Any:
            rec.record(current_function(), _action)  # the double stands in for this BDA call
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(ReplayBda, name, stand_in)
    return rec


def exercise_the_rest(result: DemoResult, api_url: str, endpoint: str) -> None:
    """Paths the demo run does not take: an oversized upload, expiry and purge, a DLQ redrive."""
    session = boto3.session.Session()
    s3, ddb, sqs = (session.client(s, endpoint_url=endpoint) for s in ("s3", "dynamodb", "sqs"))
    table, input_bucket = (
        "idp-local-documents",
        next(b["Name"] for b in s3.list_buckets()["Buckets"] if "-input-" in b["Name"]),
    )
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
    s3.put_object(Bucket=input_bucket, Key=created["upload"]["fields"]["key"], Body=b"x" * (10 * 1024 * 1024 + 1))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        item = ddb.get_item(TableName=table, Key={"document_id": {"S": created["document_id"]}})["Item"]
        if item["status"]["S"] == "FAILED" and "callback_status" in item:  # the status first, then the callback
            break
        time.sleep(0.3)
    assert item["status"]["S"] == "FAILED"
    # announced (the receiver is down: the failure is recorded, the status stands)
    assert item["callback_status"]["S"].startswith("failed: ")
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
    for document_id, age in ((done.document_id, timedelta(days=400)), (stale["document_id"], timedelta(hours=2))):
        ddb.update_item(
            TableName=table,
            Key={"document_id": {"S": document_id}},
            UpdateExpression="SET created_at = :c",
            ExpressionAttributeValues={":c": {"S": iso(utcnow() - age)}},
        )
    with invoking("document_cleanup"):
        report = cleanup_app.handler({}, LocalContext("document_cleanup"))
    assert done.document_id in report["purged"]
    assert stale["document_id"] in report["expired"]
    expired = ddb.get_item(TableName=table, Key={"document_id": {"S": stale["document_id"]}})["Item"]
    assert expired["callback_status"]["S"].startswith("failed: ")
    # 3. a dead letter redriven by dlq_analyzer
    dlq = next(q for q in sqs.list_queues()["QueueUrls"] if q.endswith("-intake-dlq"))
    key = "uploads/0b7e1b9e-8c1f-4a53-9d7e-1f0f7a1c2d3e/x.pdf"
    sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps({"Records": [{"s3": {"object": {"key": key, "size": 1}}}]}))
    with invoking("dlq_analyzer"):
        assert dlq_app.handler({"redrive": True}, LocalContext("dlq_analyzer"))["redriven"] == 1
    # 4. idp smoke against the same running stack (its calls are a client's, not a handler's)
    smoke_against(api_url)


@pytest.mark.slow
def test_every_call_is_granted_and_every_grant_is_used(recorder: Recorder) -> None:
    result = run_demo(faults={Fault.POISON_MESSAGE, Fault.DUPLICATE_EVENT}, timeout=120, keep=exercise_the_rest)
    assert result.ok
    policy = granted()
    problems = []
    for function in FUNCTIONS:
        called = {a for a in recorder.calls.get(function, set()) if not a.startswith(RUNTIME_PREFIXES)}
        allowed = policy[function]
        problems += [f"{function} calls {a} but its policy does not allow it" for a in sorted(called - allowed)]
        unused = {a for a in allowed - called - DELEGATED.get(function, set()) if not a.startswith(RUNTIME_PREFIXES)}
        problems += [f"{function} is granted {a} but never calls it" for a in sorted(unused)]
    assert problems == [], "\n".join(problems)
