"""What the local run's documents consume, priced by the one calculator (idp.costs): an estimate, and
the demo says so.

Measured here: every AWS call a handler makes (a botocore hook on the handlers' clients, by service and
operation), every invocation of a handler with its in-process duration and the memory Terraform gave
the function, each document's state transitions and BDA pages (its recording). Lambda bills each
invocation's duration rounded up to the millisecond. Per document: what names the document (the
state machine's tasks, its transitions, its pages) is its own; the rest (queue pollers, batches, the
API) is shared equally. Not measured: durations on Lambda itself (in-process here: no cold start,
another CPU), KMS requests made inside S3/SQS/DynamoDB (their data keys are cached; a small line),
storage, and a client's status polling (callbacks tell the status; the demo's polling is left out).
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from idp.costs import Usage
from idp.local.lambda_router import current_function
from idp_common import aws

Handler = Callable[[dict[str, Any], Any], Any]
# (signing service, operation) -> Usage field; calls of other operations are free (or not charged per call).
S3_PUTS = {"PutObject", "CopyObject", "ListObjects", "ListObjectsV2", "CreateMultipartUpload"}
S3_GETS = {"GetObject", "HeadObject"}
DYNAMODB_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
DYNAMODB_READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
POLLING = ("presigned_url_generator", "dynamodb", "GetItem")  # the API's status reads: a client's polling


@dataclass
class Invocation:
    function: str
    milliseconds: float
    document_id: str | None


@dataclass
class UsageMeter:
    memory_mb: dict[str, int]  # function (logical name) -> memory as applied
    calls: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (function, service, operation)
    invocations: list[Invocation] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _original: Any = None

    # --- measuring ---
    def _hook(self, service: str) -> Callable[..., None]:
        def before_call(model: Any, **_: Any) -> None:
            with self._lock:
                self.calls[(current_function() or "?", service, model.name)] += 1

        return before_call

    def install(self) -> None:
        """Count the calls of every client the handlers create from now on (aws.client is their one factory)."""
        self._original = aws.client
        plain = aws.client.__wrapped__

        def counted(service: str) -> Any:
            made = plain(service)
            made.meta.events.register("before-call", self._hook(service))
            return made

        aws.reset_clients()
        aws.client = cache(counted)

    def uninstall(self) -> None:
        if self._original is not None:
            aws.client = self._original
            aws.reset_clients()

    def timed(self, function: str, handler: Handler, skip: Callable[[dict[str, Any]], bool] | None = None) -> Handler:
        """The handler, its invocations recorded with their duration (and the document they name);
        `skip`: invocations not charged to the documents."""

        def run(event: dict[str, Any], context: Any) -> Any:
            started = time.perf_counter()
            try:
                return handler(event, context)
            finally:
                if skip is None or not skip(event):
                    self.record(function, (time.perf_counter() - started) * 1000, event)

        return run

    def record(self, function: str, milliseconds: float, event: Any) -> None:
        document = event.get("document_id") if isinstance(event, dict) else None
        with self._lock:
            self.invocations.append(Invocation(function, milliseconds, document))

    # --- what it adds up to ---
    def per_document(self, documents: Mapping[str, tuple[int, int]]) -> dict[str, Usage]:
        """Usage per document id; documents: id -> (state transitions, BDA pages)."""
        if not documents:
            return {}
        share = 1 / len(documents)
        own: dict[str, float] = defaultdict(float)
        own_requests: Counter[str] = Counter()
        shared_seconds, shared_requests = 0.0, 0
        for call in self.invocations:
            gb_seconds = math.ceil(call.milliseconds) / 1000 * self.memory_mb.get(call.function, 128) / 1024
            if call.document_id is not None and call.document_id in documents:
                own[call.document_id] += gb_seconds
                own_requests[call.document_id] += 1
            else:
                shared_seconds += gb_seconds
                shared_requests += 1
        shared = self._requests().scaled(share) + Usage(
            lambda_gb_seconds=shared_seconds * share, lambda_requests=shared_requests * share
        )
        # a client's own requests per document: POST /documents, then the presigned POST to S3
        client = Usage(api_requests=1, s3_put_requests=1)
        return {
            doc: shared
            + client
            + Usage(
                lambda_gb_seconds=own[doc],
                lambda_requests=own_requests[doc],
                sfn_transitions=transitions,
                bda_pages=pages,
            )
            for doc, (transitions, pages) in documents.items()
        }

    def _requests(self) -> Usage:
        totals: Counter[str] = Counter()
        for (function, service, operation), count in self.calls.items():
            if (function, service, operation) == POLLING:
                continue
            totals[_charge(service, operation)] += count
        return Usage(
            sqs_requests=totals["sqs"],
            s3_put_requests=totals["s3_put"],
            s3_get_requests=totals["s3_get"],
            dynamodb_write_units=totals["dynamodb_write"],
            dynamodb_read_units=totals["dynamodb_read"],
        )


def _charge(service: str, operation: str) -> str:
    if service == "sqs":
        return "sqs"
    if service == "s3":
        return "s3_put" if operation in S3_PUTS else "s3_get" if operation in S3_GETS else "free"
    if service == "dynamodb":
        return (
            "dynamodb_write"
            if operation in DYNAMODB_WRITES
            else "dynamodb_read"
            if operation in DYNAMODB_READS
            else "free"
        )
    return "free"


def memory_of(lambda_client: Any, functions: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Memory (MB) per logical function name, as applied: (logical name, function name) pairs."""
    return {
        key: int(lambda_client.get_function_configuration(FunctionName=name)["MemorySize"]) for key, name in functions
    }
