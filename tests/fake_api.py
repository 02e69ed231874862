"""A stand-in for the document API's function, for tests of its clients (the load test's swarm, the
smoke test in a workflow scenario) where the flow behind the API is not what is under test.

It answers as presigned_url_generator does on the routes a client uses (GET /health, POST /documents
with a presigned POST of the embedded S3, GET /documents/{id} with a presigned result URL once
done), behind the real API Gateway stand-in (SigV4 verified, unsigned refused). Per declared type:
a document completes on its second status read, except an invoice never ends and a payslip's create
fails (HTTP 500) - by default; `never_ends` and `fails` say which types.
As Lambda does for every invocation, each one is counted in the embedded CloudWatch (AWS/Lambda
Invocations of the env's API function), what the load test's cost reader waits for.
The real API under load: tests/integration/test_terraform_stack.py (`idp load` on the applied stack).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from botocore.credentials import Credentials

from idp.local.api_gateway import LocalApiGateway
from idp.local.aws_server import LOCAL_KEY_ID, LOCAL_SECRET, LocalAwsServer


class FakeApi:
    def __init__(
        self,
        server: LocalAwsServer,
        bucket: str,
        function_name: str,
        cloudwatch: Any = None,
        *,
        never_ends: frozenset[str] = frozenset({"invoice"}),
        fails: frozenset[str] = frozenset({"payslip"}),
    ) -> None:
        self.never_ends, self.fails = never_ends, fails
        self.s3 = server.client("s3")
        self.cloudwatch = cloudwatch or server.client("cloudwatch")
        self.bucket, self.function_name = bucket, function_name
        self.polls: dict[str, int] = {}
        self.types: dict[str, str] = {}
        self._lock = threading.Lock()
        self.s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})

    def _count_invocation(self) -> None:
        self.cloudwatch.put_metric_data(
            Namespace="AWS/Lambda",
            MetricData=[
                {
                    "MetricName": "Invocations",
                    "Dimensions": [{"Name": "FunctionName", "Value": self.function_name}],
                    "Value": 1,
                    "Timestamp": datetime.now(UTC),
                }
            ],
        )

    def __call__(self, event: dict[str, Any], _: Any) -> dict[str, Any]:
        self._count_invocation()
        if event["resource"] == "/health":
            return {"statusCode": 200, "body": json.dumps({"status": "ok"})}
        if event["httpMethod"] == "POST":
            body = json.loads(event["body"])
            if body["document_type"] in self.fails:
                return {"statusCode": 500, "body": json.dumps({"error": "internal"})}
            document_id = str(uuid.uuid4())
            with self._lock:
                self.types[document_id] = body["document_type"]
            upload = self.s3.generate_presigned_post(self.bucket, f"uploads/{document_id}/{body['filename']}")
            return {"statusCode": 201, "body": json.dumps({"document_id": document_id, "upload": upload})}
        document_id = event["pathParameters"]["document_id"]
        with self._lock:
            self.polls[document_id] = self.polls.get(document_id, 0) + 1
            kind = self.types.get(document_id)
            done = kind is not None and kind not in self.never_ends and self.polls[document_id] >= 2
        if not done:
            return {"statusCode": 200, "body": json.dumps({"document_id": document_id, "status": "PROCESSING"})}
        key = f"results/{document_id}.json"
        result = {"document_id": document_id, "extracted_data": {"passport_number": "925076473"}}
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=json.dumps(result).encode())
        url = self.s3.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": key})
        answer = {"document_id": document_id, "status": "COMPLETED", "result_url": url}
        return {"statusCode": 200, "body": json.dumps(answer)}


@contextmanager
def served(
    server: LocalAwsServer,
    function_name: str = "idp-test-presigned-url-generator",
    cloudwatch: Any = None,
    **behaviour: frozenset[str],
) -> Iterator[tuple[str, FakeApi]]:
    """(the API's URL, the stand-in) on 127.0.0.1: signatures of the local keys or of any role session
    the embedded STS issued (a workflow job's) are accepted. cloudwatch: a client in the env's account
    (where Lambda counts the function's invocations); default the local account's."""
    api = FakeApi(server, f"fake-api-{uuid.uuid4().hex[:8]}", function_name, cloudwatch, **behaviour)
    gateway = LocalApiGateway(
        api, Credentials(LOCAL_KEY_ID, LOCAL_SECRET), "eu-west-1", issued=server.issued_credentials
    )
    gateway.start()
    try:
        yield gateway.url, api
    finally:
        gateway.stop()
