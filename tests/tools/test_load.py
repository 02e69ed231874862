"""The load test (idp.load): its policy as data, its judgement, its charts as GitHub's Mermaid parses
them, the Locust swarm in its own process against a signed API, and the cost read from CloudWatch."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber
from typer.testing import CliRunner

from idp.cli import app
from idp.costs import PriceList, estimate
from idp.environments import EnvironmentsError, environments
from idp.load.metered import Metered, metered, queries
from idp.load.policy import LoadPolicy, LoadPolicyError
from idp.load.result import DocumentRun, LoadResult, RequestStats, charts, markdown, percentile
from idp.load.run import LOAD_SAMPLES, pdf_pages, run_swarm, swarm_config
from idp.local.aws_server import LOCAL_KEY_ID, LOCAL_SECRET, LocalAwsServer
from idp.local.samples import SAMPLES, SAMPLES_DIR
from idp.naming import FUNCTIONS, Names
from tests.conftest import REPO_ROOT
from tests.fake_api import FakeApi, served

GOOD = {
    "documents": 20,
    "concurrency": 4,
    "max_error_rate_percent": 1,
    "max_p95_seconds": 30,
    "min_documents_per_minute": 10,
    "timeout_minutes": 5,
}
MERMAID = REPO_ROOT / "tools" / "node" / "mermaid-parse.mjs"


# --- the policy, as data -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"documents": 0}, "load.documents must be a whole number >= 1"),
        ({"concurrency": 2.5}, "load.concurrency must be a whole number >= 1"),
        ({"concurrency": 50}, "load.concurrency (50) exceeds documents"),
        ({"max_error_rate_percent": 150}, "is a percentage"),
        ({"max_p95_seconds": True}, "load.max_p95_seconds must be a number >= 0"),
        ({"timeout_minutes": 0}, "must be > 0"),
        ({"documents_per_minute": 3}, "unknown documents_per_minute"),
    ],
)
def test_a_load_entry_that_cannot_run_is_refused_naming_the_field(change: dict[str, Any], says: str) -> None:
    with pytest.raises(LoadPolicyError, match=r"live/environments\.hcl: test") as refused:
        LoadPolicy.from_data({**GOOD, **change}, "live/environments.hcl: test")
    assert says in str(refused.value)
    missing = {k: v for k, v in GOOD.items() if k != "max_p95_seconds"}
    with pytest.raises(LoadPolicyError, match=r"missing max_p95_seconds; e\.g\. load = "):
        LoadPolicy.from_data(missing, "x")


def test_the_envs_load_entries_parse_and_a_bad_one_names_its_env(tmp_path: Path) -> None:
    loads = {env.name: env.load for env in environments()}
    assert loads["test"] is not None  # the stage between test's validation and prod's gate
    assert loads["test"].concurrency <= loads["test"].documents
    assert loads["prod"] is None
    shutil.copytree(REPO_ROOT / "live", tmp_path / "live", ignore=shutil.ignore_patterns(".terragrunt-cache"))
    listed = tmp_path / "live" / "environments.hcl"
    listed.write_text(listed.read_text().replace("concurrency              = 10", "concurrency = 0"))
    with pytest.raises(EnvironmentsError, match=r"environments.hcl: test: load.concurrency must be a whole"):
        environments(tmp_path)


def test_a_local_load_is_bounded() -> None:
    policy = LoadPolicy.from_data({**GOOD, "documents": 1000}, "x")
    with pytest.raises(LoadPolicyError, match="a local load test is bounded: at most 200 documents"):
        policy.bounded_for_local()
    assert LoadPolicy.from_data(GOOD, "x").bounded_for_local().documents == 20


# --- the judgement -------------------------------------------------------------------------------


def doc(seconds: float, ended: float, status: str = "COMPLETED", error: str = "") -> DocumentRun:
    return DocumentRun("passport-en", "COMPLETED", status, ended - seconds, ended, "d", error)


def test_percentile_is_nearest_rank() -> None:
    assert percentile([float(v) for v in range(1, 21)], 95) == 19.0
    assert percentile([5.0], 95) == 5.0
    assert math.isnan(percentile([], 95))


def test_each_threshold_breaches_on_its_own_figure() -> None:
    policy = LoadPolicy.from_data(GOOD, "x")
    fine = LoadResult([doc(10 + i % 5, 30 + i * 2) for i in range(20)], elapsed=70.0)
    assert fine.breaches(policy) == []  # 20 in 70 s = 17.1/min, p95 14 s, no errors
    one_failed = LoadResult([*fine.documents[:19], doc(5, 60, "FAILED")], elapsed=70.0)
    assert [b.threshold for b in one_failed.breaches(policy)] == ["error rate"]  # 5 % > 1 %
    slow = LoadResult([doc(40 if i == 19 else 10, 30 + i * 2) for i in range(20)], elapsed=70.0)
    assert [b.threshold for b in slow.breaches(policy)] == []  # one slow of 20: p95 is the 19th
    slower = LoadResult([doc(40 if i >= 18 else 10, 30 + i * 2) for i in range(20)], elapsed=70.0)
    assert [b.line() for b in slower.breaches(policy)] == ["p95 end-to-end: 40.0 s (allowed <= 30 s)"]
    sluggish = LoadResult(fine.documents, elapsed=200.0)
    assert [b.threshold for b in sluggish.breaches(policy)] == ["throughput"]  # 6/min
    cut = LoadResult(fine.documents[:15], elapsed=50.0)
    assert [b.threshold for b in cut.breaches(policy)] == ["documents"]
    nothing = LoadResult([doc(3, 3, "TIMEOUT", "no terminal status")] * 20, elapsed=10.0)
    assert "p95 end-to-end: no document finished (allowed <= 30 s)" in [b.line() for b in nothing.breaches(policy)]


def mermaid(texts: list[str]) -> list[dict[str, Any]]:
    """mermaid's own parser (tools/node), as GitHub renders the job summary's charts."""
    node = shutil.which("node")
    assert node is not None, "node is a prerequisite (README): mermaid's parser runs on it"
    assert (REPO_ROOT / "tools/node/node_modules/mermaid").is_dir(), "run `make setup` (tools/node)"
    done = subprocess.run(
        [node, str(MERMAID)], input=json.dumps(texts), capture_output=True, text=True, check=True, timeout=60
    )
    return list(json.loads(done.stdout))


def blocks(text: str) -> list[str]:
    return [part.split("```", 1)[0] for part in text.split("```mermaid\n")[1:]]


def test_the_summary_charts_parse_as_mermaid_and_a_broken_one_does_not() -> None:
    """Fails if a chart is not Mermaid GitHub can render: e.g. an `x-axis` of numbers with a NaN, a
    series without brackets - the parser's own error is shown."""
    policy = LoadPolicy.from_data(GOOD, "x")
    mixed = LoadResult(
        [doc(10, 30), doc(12, 31, "FAILED"), doc(2, 2, "HTTP 500", "POST /documents answered HTTP 500")],
        [RequestStats("POST /documents", 3, 1, 40.0, 90.0, 95.0)],
        elapsed=31.0,
    )
    empty = LoadResult([], elapsed=0.0)  # nothing ran: the charts must still be valid
    text = markdown(mixed, policy, "test")
    assert "**breached** - the promotion stops" in text
    assert "| POST /documents | 3 | 1 | 40 | 90 | 95 |" in text
    diagrams = blocks(text) + blocks(charts(empty))
    assert len(diagrams) == 4
    parsed = mermaid([*diagrams, diagrams[0].replace("bar [", "bar ").replace("]\n    line", "\n    line", 1)])
    assert [p["ok"] for p in parsed] == [True, True, True, True, False], parsed
    assert {p.get("type") for p in parsed[:4]} == {"xychart"}
    assert "Parse error" in parsed[4]["error"]


# --- the swarm, for real, against a signed API ---------------------------------------------------


@pytest.fixture
def fake_api(embedded_aws: LocalAwsServer) -> Iterator[tuple[str, FakeApi]]:
    with served(embedded_aws) as running:
        yield running


def test_the_swarm_signs_every_call_and_counts_what_fails(fake_api: tuple[str, FakeApi], tmp_path: Path) -> None:
    """Locust in its own process: each document created (signed: the gateway verifies SigV4 and would
    answer 403), uploaded to S3 by its presigned POST, polled to its end. A create that fails, a
    document that never ends (its timeout) are errors - in the record and in Locust's statistics."""
    url, api = fake_api
    chosen = tuple(s for s in SAMPLES if s.name in {"passport-en", "invoice-de", "payslip-it"})
    policy = LoadPolicy.from_data({**GOOD, "documents": 6, "concurrency": 3, "timeout_minutes": 1}, "x")
    config = swarm_config(url, policy, "eu-west-1", poll_seconds=0.2, document_timeout=1.5, samples=chosen)
    environ = os.environ | {"AWS_ACCESS_KEY_ID": LOCAL_KEY_ID, "AWS_SECRET_ACCESS_KEY": LOCAL_SECRET}
    environ.pop("AWS_SESSION_TOKEN", None)
    environ.pop("AWS_PROFILE", None)
    result = run_swarm(config, environ)
    ended = sorted((d.sample, d.status) for d in result.documents)
    assert ended == [
        ("invoice-de", "TIMEOUT"),
        ("invoice-de", "TIMEOUT"),
        ("passport-en", "COMPLETED"),
        ("passport-en", "COMPLETED"),
        ("payslip-it", "HTTP 500"),
        ("payslip-it", "HTTP 500"),
    ]
    assert len(api.types) == 4  # every create that got through was signed as the gateway verifies
    stats = {r.name: r for r in result.requests}
    assert (stats["POST /documents"].requests, stats["POST /documents"].failures) == (6, 2)
    assert stats["POST presigned upload (S3)"].failures == 0
    assert (stats["create -> terminal status"].requests, stats["create -> terminal status"].failures) == (6, 4)
    assert result.locust_version.startswith("2.47")
    assert result.error_rate_percent == pytest.approx(66.7, abs=0.1)
    assert result.api_calls_answered() == 4 + sum(api.polls.values())


def test_a_swarm_that_cannot_start_is_one_clear_error(tmp_path: Path) -> None:
    from idp.load.run import LoadError

    with pytest.raises(LoadError, match="is not an https URL"):
        swarm_config("ftp://x", LoadPolicy.from_data(GOOD, "x"), "eu-west-1", poll_seconds=1, document_timeout=1)
    config = {"time_limit": 5, "api": "http://127.0.0.1:9"}  # no samples: the swarm fails
    with pytest.raises(LoadError, match=r"the load test's swarm failed \(exit 1\): KeyError"):
        run_swarm(config)


def test_each_load_sample_is_a_one_page_pdf_bda_bills() -> None:
    assert LOAD_SAMPLES
    assert all(s.expected.value == "COMPLETED" for s in LOAD_SAMPLES)
    assert {pdf_pages(SAMPLES_DIR / "documents" / s.filename) for s in LOAD_SAMPLES} == {1}
    two = b"%PDF-1.4 1 0 obj << /Type /Pages /Kids [2 0 R 3 0 R] >> 2 0 obj << /Type /Page >> 3 0 obj <</Type/Page>>"
    path = SAMPLES_DIR / "documents" / LOAD_SAMPLES[0].filename
    assert pdf_pages(path) == 1
    scratch = Path(os.environ.get("TMPDIR", "/tmp")) / f"two-{uuid.uuid4()}.pdf"
    scratch.write_bytes(two)
    try:
        assert pdf_pages(scratch) == 2
    finally:
        scratch.unlink()


# --- the cost, from the env's own metrics --------------------------------------------------------

NAMES = Names("idp", "test", "123456789012", "eu-west-1")


def put(  # noqa: PLR0917 - one datapoint, as CloudWatch takes it
    cloudwatch: Any, namespace: str, metric: str, dimension: str, value: str, amount: float, at: datetime
) -> None:
    cloudwatch.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [{"Name": dimension, "Value": value}],
                "Value": amount,
                "Timestamp": at,
            }
        ],
    )


def test_the_cost_is_read_from_cloudwatch_and_the_executions_as_aws_records_them(
    embedded_aws: LocalAwsServer,
) -> None:
    """Hand-computed: 2 documents; the API function ran 4 times, 1,000 ms in all at 1,024 MB (1 GB-s),
    the extractor 2 times, 3,000 ms at 512 MB (1.5 GB-s) -> 2.5 GB-s, 6 requests; 10 SQS messages
    sent + received + deleted + 2 empty receives -> 32; 7 write units; 4 API calls; one execution of
    5 states entered (the other never started) -> 5 transitions; 2 pages. A datapoint outside the
    window is not counted."""
    cloudwatch = embedded_aws.client("cloudwatch")
    start = datetime.now(UTC) - timedelta(minutes=3)
    at = start + timedelta(seconds=30)
    api_fn, extractor = NAMES.function("presigned_url_generator"), NAMES.function("schema_extractor")
    put(cloudwatch, "AWS/Lambda", "Duration", "FunctionName", api_fn, 1000, at)
    put(cloudwatch, "AWS/Lambda", "Invocations", "FunctionName", api_fn, 4, at)
    put(cloudwatch, "AWS/Lambda", "Duration", "FunctionName", extractor, 3000, at)
    put(cloudwatch, "AWS/Lambda", "Invocations", "FunctionName", extractor, 2, at)
    put(cloudwatch, "AWS/Lambda", "Invocations", "FunctionName", extractor, 50, start - timedelta(hours=2))
    for metric in ("NumberOfMessagesSent", "NumberOfMessagesReceived", "NumberOfMessagesDeleted"):
        put(cloudwatch, "AWS/SQS", metric, "QueueName", NAMES.intake_queue, 10, at)
    put(cloudwatch, "AWS/SQS", "NumberOfEmptyReceives", "QueueName", NAMES.callbacks_queue, 2, at)
    put(cloudwatch, "AWS/DynamoDB", "ConsumedWriteCapacityUnits", "TableName", NAMES.documents_table, 7, at)
    put(cloudwatch, "AWS/ApiGateway", "Count", "ApiName", f"{NAMES.prefix}-api", 4, at)

    import boto3

    lambda_client = boto3.client("lambda", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    sfn = boto3.client("stepfunctions", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(lambda_client) as lambdas, Stubber(sfn) as executions:
        for function in FUNCTIONS:
            memory = {"presigned_url_generator": 1024, "schema_extractor": 512}.get(function, 256)
            lambdas.add_response(
                "get_function_configuration",
                {"MemorySize": memory},
                {"FunctionName": NAMES.function(function), "Qualifier": "live"},
            )
        machine = f"arn:aws:states:eu-west-1:123456789012:execution:{NAMES.state_machine}"
        entered = [
            {"timestamp": at, "type": kind, "id": i + 1}
            for i, kind in enumerate(
                [
                    "ExecutionStarted",
                    *["TaskStateEntered", "TaskStateExited"] * 4,
                    "PassStateEntered",
                    "ExecutionSucceeded",
                ]
            )
        ]
        executions.add_response("get_execution_history", {"events": entered}, {"executionArn": f"{machine}:doc-1"})
        executions.add_client_error(
            "get_execution_history", "ExecutionDoesNotExist", expected_params={"executionArn": f"{machine}:doc-2"}
        )
        clients = {"cloudwatch": cloudwatch, "lambda": lambda_client, "stepfunctions": sfn}
        found = metered(
            clients.__getitem__,
            NAMES,
            start=start,
            end=datetime.now(UTC),
            documents=[("doc-1", "COMPLETED"), ("doc-2", "FAILED")],
            pages=2,
            api_calls=4,
        )
        lambdas.assert_no_pending_responses()
        executions.assert_no_pending_responses()
    usage = found.usage
    assert usage.lambda_gb_seconds == pytest.approx(2.5)
    assert usage.lambda_requests == 6
    assert usage.sqs_requests == 32
    assert (usage.dynamodb_write_units, usage.dynamodb_read_units) == (7, 0)
    assert (usage.api_requests, usage.sfn_transitions, usage.bda_pages) == (4, 5, 2)
    assert found.complete
    assert found.empty == ["dynamodb_read_units"]
    prices = PriceList.load("eu-west-1")
    per_document = estimate(found.per_document(), prices)
    assert per_document.total == pytest.approx(estimate(usage, prices).total / 2)
    text = found.markdown(prices)
    assert f"**${per_document.total:.4f}** over 2 documents" in text
    assert "| s3_put_requests | 0 | 0.000000 | not metered |" in text
    assert "ConsumedReadCapacityUnits (no data)" in text


def test_the_reader_waits_for_cloudwatch_to_count_the_load_then_says_when_it_did_not(
    embedded_aws: LocalAwsServer,
) -> None:
    """Fails if the figures are read before CloudWatch has the load's calls (AWS: a minute or two)."""
    cloudwatch = embedded_aws.client("cloudwatch")
    start = datetime.now(UTC) - timedelta(minutes=1)
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:  # the metrics arrive while the reader waits
        slept.append(seconds)
        now[0] += seconds
        if len(slept) == 2:
            put(cloudwatch, "AWS/Lambda", "Invocations", "FunctionName", NAMES.function("presigned_url_generator"),
                9, start + timedelta(seconds=20))  # fmt: skip

    class Lambda:
        def get_function_configuration(self, **_: Any) -> dict[str, int]:
            return {"MemorySize": 1024}

    class Sfn:
        class exceptions:
            ExecutionDoesNotExist = KeyError

        def get_paginator(self, _: str) -> Any:
            raise KeyError

    clients = {"cloudwatch": cloudwatch, "lambda": Lambda(), "stepfunctions": Sfn()}
    args: dict[str, Any] = {"start": start, "end": datetime.now(UTC), "documents": [], "pages": 0, "poll": 15}
    found = metered(clients.__getitem__, NAMES, api_calls=9, wait_up_to=120, clock=lambda: now[0], sleep=sleep, **args)
    assert (found.complete, found.usage.lambda_requests, slept) == (True, 9, [15, 15])
    short = metered(clients.__getitem__, NAMES, api_calls=50, wait_up_to=30, clock=lambda: now[0], sleep=sleep, **args)
    assert not short.complete
    assert "the figures are low" in short.markdown(PriceList.load("eu-west-1"))
    assert isinstance(short, Metered)


def test_every_metric_query_is_one_getmetricdata_accepts() -> None:
    """Ids unique and valid (lower-case first), one call's worth (<= 500), every function and queue."""
    found = queries(NAMES)
    ids = [q.id for q in found]
    assert len(ids) == len(set(ids)) <= 500
    assert all(i[0].islower() and i.replace("_", "").isalnum() for i in ids)
    import boto3

    cloudwatch: Any = boto3.client(
        "cloudwatch", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(cloudwatch) as stub:  # botocore validates the request against CloudWatch's model
        stub.add_response("get_metric_data", {"MetricDataResults": []})
        cloudwatch.get_metric_data(
            MetricDataQueries=[q.as_request() for q in found],
            StartTime=datetime.now(UTC) - timedelta(minutes=5),
            EndTime=datetime.now(UTC),
            ScanBy="TimestampAscending",
        )


# --- the command ---------------------------------------------------------------------------------


def test_the_command_refuses_bad_input_before_any_load(tmp_path: Path) -> None:
    runner = CliRunner()
    output = tmp_path / "out"
    output.write_text("")
    done = runner.invoke(
        app, ["load", "run", "--env", "dev", "--api", "https://x.example/dev", "--github-output"],
        env={"GITHUB_OUTPUT": str(output)},
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "no load test for dev" in done.output
    assert output.read_text() == "outcome=none\n"
    bad_api = runner.invoke(app, ["load", "run", "--env", "test", "--api", "notaurl"])
    assert bad_api.exit_code == 2
    too_big = runner.invoke(app, ["load", "local", "--documents", "500", "--concurrency", "5"])
    assert too_big.exit_code == 2
    assert "a local load test is bounded" in too_big.output
