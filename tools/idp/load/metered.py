"""What the load test's documents cost, from what the env itself recorded while they ran.

Read from the env's CloudWatch over the load's window (GetMetricData, Sum per minute), priced by the
one calculator (idp.costs):
- Lambda: Duration and Invocations per function (dimension FunctionName: every version), times the
  memory its `live` alias runs with -> GB-seconds and requests;
- API Gateway: Count of the env's REST API (ApiName);
- SQS: NumberOfMessagesSent + NumberOfMessagesReceived + NumberOfMessagesDeleted +
  NumberOfEmptyReceives per queue - one request each, an upper bound (a batch of 10 is one request);
- DynamoDB: ConsumedReadCapacityUnits / ConsumedWriteCapacityUnits per table (on-demand bills them
  as request units).
Step Functions publishes no transition count per state machine: each load document's execution
history is read instead (StateEntered events, what Standard workflows bill). BDA pages are the pages
of the documents that reached BDA. Not metered (no CloudWatch metric without extra cost): S3 requests
(request metrics are off) and KMS requests - the report names them.

Metrics reach CloudWatch a minute or two after the calls: the reader waits until the API function's
Invocations count every API call the load saw answered (bounded); the local stack's metrics
(idp.local.lambda_router) are there at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from idp.costs import PriceList, Usage, estimate, states_entered
from idp.load.result import LoadResult
from idp.load.run import pages_processed
from idp.naming import FUNCTIONS, Names
from idp_common.flow import execution_arn

NOT_METERED = ("s3_put_requests", "s3_get_requests", "s3_gb_months", "kms_requests")
SQS_METRICS = ("NumberOfMessagesSent", "NumberOfMessagesReceived", "NumberOfMessagesDeleted", "NumberOfEmptyReceives")


@dataclass(frozen=True)
class Query:
    id: str
    namespace: str
    metric: str
    dimension: str
    value: str

    def as_request(self) -> dict[str, Any]:
        return {
            "Id": self.id,
            "MetricStat": {
                "Metric": {
                    "Namespace": self.namespace,
                    "MetricName": self.metric,
                    "Dimensions": [{"Name": self.dimension, "Value": self.value}],
                },
                "Period": 60,
                "Stat": "Sum",
            },
            "ReturnData": True,
        }


@dataclass(frozen=True)
class Metered:
    usage: Usage  # the whole load's
    documents: int
    sources: dict[str, str]  # usage field -> where its figure comes from
    empty: list[str]  # usage fields a source was asked for and had no data
    complete: bool = True  # False: CloudWatch had not caught up with the load when it was read

    def per_document(self) -> Usage:
        return self.usage.scaled(1 / self.documents) if self.documents else Usage()

    def markdown(self, prices: PriceList) -> str:
        cost = estimate(self.per_document(), prices)
        lines = [
            f"**Cost per document, from the env's own metrics over the load** (prices {prices.region}, "
            f"version {prices.version}): **${cost.total:.4f}** over {self.documents} documents.",
            "",
            *(
                []
                if self.complete
                else ["> CloudWatch had not counted every API call yet when read: the figures are low.", ""]
            ),
            "| charge | per document | USD | measured from |",
            "|---|---|---|---|",
        ]
        per = self.per_document()
        for name, usd in sorted(cost.lines.items(), key=lambda item: -item[1]):
            source = self.sources.get(name, "not metered")
            if name in self.empty:
                source += " (no data)"
            lines.append(f"| {name} | {getattr(per, name):.6g} | {usd:.6f} | {source} |")
        return "\n".join(lines)


def queries(names: Names) -> list[Query]:
    found = []
    for index, function in enumerate(FUNCTIONS):
        name = names.function(function)
        found.append(Query(f"duration_{index}", "AWS/Lambda", "Duration", "FunctionName", name))
        found.append(Query(f"invocations_{index}", "AWS/Lambda", "Invocations", "FunctionName", name))
    found.append(Query("api_count", "AWS/ApiGateway", "Count", "ApiName", f"{names.prefix}-api"))
    queues = (names.intake_queue, names.bda_events_queue, names.callbacks_queue)
    for q_index, queue in enumerate(queues):
        for m_index, metric in enumerate(SQS_METRICS):
            found.append(Query(f"sqs_{q_index}_{m_index}", "AWS/SQS", metric, "QueueName", queue))
    for t_index, table in enumerate((names.documents_table, names.config_table)):
        for kind in ("Read", "Write"):
            metric = f"Consumed{kind}CapacityUnits"
            found.append(Query(f"ddb_{kind.lower()}_{t_index}", "AWS/DynamoDB", metric, "TableName", table))
    return found


def metric_sums(cloudwatch: Any, wanted: list[Query], start: datetime, end: datetime) -> dict[str, float | None]:
    """Query id -> the sum of its datapoints over [start, end] (None: no datapoint at all)."""
    sums: dict[str, float | None] = {q.id: None for q in wanted}
    # GetMetricData takes at most 500 queries a call; ours are < 60 (one call, its pages).
    paginator = cloudwatch.get_paginator("get_metric_data")
    pages = paginator.paginate(
        MetricDataQueries=[q.as_request() for q in wanted], StartTime=start, EndTime=end, ScanBy="TimestampAscending"
    )
    for page in pages:
        for series in page["MetricDataResults"]:
            if series["Values"]:
                sums[series["Id"]] = (sums[series["Id"]] or 0.0) + float(sum(series["Values"]))
    return sums


def transitions(sfn: Any, state_machine_arn: str, document_ids: Iterable[str]) -> int:
    """States entered by the documents' executions (one execution per document, named after it)."""
    entered = (states_entered(sfn, execution_arn(state_machine_arn, d)) for d in document_ids)
    return sum(count or 0 for count in entered)


def memory_gb(lambda_client: Any, names: Names) -> dict[str, float]:
    return {
        f: lambda_client.get_function_configuration(FunctionName=names.function(f), Qualifier="live")["MemorySize"]
        / 1024
        for f in FUNCTIONS
    }


def _total(sums: dict[str, float | None], prefix: str) -> tuple[float, bool]:
    values = [v for k, v in sums.items() if k.startswith(prefix)]
    return sum(v or 0.0 for v in values), any(v is not None for v in values)


def metered(
    clients: Callable[[str], Any],
    names: Names,
    *,
    start: datetime,
    end: datetime,
    documents: list[tuple[str, str]],  # (document id, terminal status)
    pages: int,
    api_calls: int = 0,
    wait_up_to: float = 0.0,
    poll: float = 15.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Metered:
    """The load's usage over [start, end] (CloudWatch's minutes around it). Metrics arrive a minute or
    two late: until the API function's Invocations count the `api_calls` the load saw answered (each is
    one), read again every `poll` s, for at most `wait_up_to` s - then what is there, said so."""
    wanted = queries(names)
    window_start = start.replace(second=0, microsecond=0)
    window_end = end.replace(second=0, microsecond=0) + timedelta(minutes=2)
    api_function = f"invocations_{FUNCTIONS.index('presigned_url_generator')}"
    deadline = clock() + wait_up_to
    while True:
        sums = metric_sums(clients("cloudwatch"), wanted, window_start, window_end)
        complete = (sums[api_function] or 0.0) >= api_calls
        if complete or clock() >= deadline:
            break
        sleep(poll)
    memory = memory_gb(clients("lambda"), names)
    gb_seconds = sum((sums[f"duration_{i}"] or 0.0) / 1000 * memory[function] for i, function in enumerate(FUNCTIONS))
    lambda_requests, lambda_seen = _total(sums, "invocations_")
    sqs, sqs_seen = _total(sums, "sqs_")
    reads, reads_seen = _total(sums, "ddb_read_")
    writes, writes_seen = _total(sums, "ddb_write_")
    api = sums["api_count"]
    state_machine = f"arn:aws:states:{names.region}:{names.account_id}:stateMachine:{names.state_machine}"
    steps = transitions(clients("stepfunctions"), state_machine, [d for d, _ in documents])
    usage = Usage(
        lambda_gb_seconds=gb_seconds,
        lambda_requests=lambda_requests,
        sfn_transitions=float(steps),
        sqs_requests=sqs,
        dynamodb_read_units=reads,
        dynamodb_write_units=writes,
        bda_pages=float(pages),
        api_requests=api or 0.0,
    )
    sources = {
        "lambda_gb_seconds": "AWS/Lambda Duration x memory",
        "lambda_requests": "AWS/Lambda Invocations",
        "sfn_transitions": "execution histories",
        "sqs_requests": "AWS/SQS messages (upper bound)",
        "dynamodb_read_units": "AWS/DynamoDB ConsumedReadCapacityUnits",
        "dynamodb_write_units": "AWS/DynamoDB ConsumedWriteCapacityUnits",
        "bda_pages": "pages of the documents processed",
        "api_requests": "AWS/ApiGateway Count",
    }
    seen = {
        "lambda_gb_seconds": lambda_seen,
        "lambda_requests": lambda_seen,
        "sqs_requests": sqs_seen,
        "dynamodb_read_units": reads_seen,
        "dynamodb_write_units": writes_seen,
        "api_requests": api is not None,
    }
    empty = sorted(name for name, ok in seen.items() if not ok)
    return Metered(usage, len(documents), sources, empty, complete)


def cost_report(
    clients: Callable[[str], Any],
    names: Names,
    result: LoadResult,
    *,
    started: datetime,
    end: datetime,
    wait_up_to: float = 0.0,
) -> str:
    """The load's cost per document as Markdown, from the env's metrics (the one path, deployed or local)."""
    found = metered(
        clients,
        names,
        start=started,
        end=end,
        documents=[(d.document_id, d.status) for d in result.documents if d.document_id],
        pages=pages_processed(result),
        api_calls=result.api_calls_answered(),
        wait_up_to=wait_up_to,
    )
    return found.markdown(PriceList.load(names.region))
