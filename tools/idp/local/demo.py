"""`idp demo`: send sample documents through the real system on an embedded AWS and report.

The stack is what Terraform applied (idp.local.stack). Entry points are the real ones: HTTP to the
API's function (behind the API Gateway stand-in, with the routes and authorization read back), a
presigned POST over HTTP to the embedded S3, the bucket's S3 -> SQS notification as applied, the
event source stand-in with the mapping's settings, the state machine as applied (executed by moto),
and signed callbacks to a local receiver.
"""

from __future__ import annotations

import importlib
import itertools
import json
import time
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from idp.api_client import ApiClient, default_credentials
from idp.costs import PriceList, Usage, estimate, states_entered
from idp.local.api_gateway import LocalApiGateway
from idp.local.event_source import EventSourceMapping
from idp.local.lambda_router import LocalContext, invoking
from idp.local.receiver import CallbackReceiver, Received
from idp.local.release_fault import FAILING_SHARE, LOCAL_POLICY, RELEASE_FUNCTION, BadRelease, ReleaseFault
from idp.local.samples import SAMPLES, SAMPLES_DIR, Sample
from idp.local.stack import LOCAL_REGION, LocalRun, ReadBackError, local_stack
from idp.local.terraform_stack import Progress
from idp.local.usage import UsageMeter, memory_of
from idp_common.flow import execution_arn
from idp_common.status import TERMINAL, DocumentStatus

PROCESSED = {DocumentStatus.COMPLETED.value, DocumentStatus.LOW_CONFIDENCE.value}
CALLBACK_DOWN_ATTEMPTS = 2


class Fault(StrEnum):
    BDA_THROTTLING = "bda-throttling"
    HANDLER_ERROR = "handler-error"
    POISON_MESSAGE = "poison-message"
    DUPLICATE_EVENT = "duplicate-event"
    STUCK_JOB = "stuck-job"
    CALLBACK_DOWN = "callback-down"
    BAD_RELEASE = "bad-release"


@dataclass
class Tracked:
    label: str
    declared_type: str
    expected: DocumentStatus
    document_id: str = ""
    submitted: float = 0.0
    finished: float | None = None
    status: str = "NEW"
    language: str | None = None
    confidence: float | None = None
    reason: str | None = None
    transitions: int | None = None  # states its execution entered
    sample: str = ""  # the sample it was made from (its BDA recording: its pages)
    usage: Usage | None = None  # what it consumed (estimated: idp.local.usage)

    @property
    def seconds(self) -> float | None:
        return None if self.finished is None else round(self.finished - self.submitted, 2)


@dataclass
class DemoResult:
    documents: list[Tracked]
    elapsed: float
    invariants: dict[str, tuple[bool, str]] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)
    release: ReleaseFault | None = None
    prices: PriceList | None = None

    @property
    def ok(self) -> bool:
        statuses_ok = all(d.status == d.expected for d in self.documents)
        return statuses_ok and all(ok for ok, _ in self.invariants.values())

    @property
    def throughput(self) -> float:
        return len(self.documents) / self.elapsed if self.elapsed else 0.0


def all_executions(sfn: Any, state_machine_arn: str) -> list[dict[str, Any]]:
    """Every execution, every page: ListExecutions returns at most 100 at a time."""
    pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=state_machine_arn)
    return [execution for page in pages for execution in page["executions"]]


def s3_notification(bucket: str, key: str, size: Any) -> str:
    """The body S3 sends to SQS for an ObjectCreated event (used to inject duplicates and poison)."""
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": LOCAL_REGION,
        "eventName": "ObjectCreated:Post",
        "s3": {"bucket": {"name": bucket}, "object": {"key": key, "size": size}},
    }
    return json.dumps({"Records": [record]})


def handler_of(function: str) -> Any:
    return importlib.import_module(f"{function}.app").handler


def api_gateway(stack: LocalRun, meter: UsageMeter | None = None) -> LocalApiGateway:
    """The API Gateway stand-in for the routes as applied: IAM authorization where the API has it."""
    routes = stack.built.routes
    kinds = {r.authorization for r in routes}
    functions = {r.function for r in routes}
    if len(kinds) != 1 or len(functions) != 1 or kinds - {"AWS_IAM", "NONE"}:
        raise ReadBackError(f"the stand-in serves one function under one authorization, the API has {routes}")
    # IAM authorization as deployed: only requests signed with the local credentials get through.
    credentials = default_credentials() if kinds == {"AWS_IAM"} else None
    function = functions.pop()
    handler = handler_of(function)
    if meter is not None:  # a client's status polling is not a document's cost (callbacks tell it)
        handler = meter.timed(function, handler, skip=lambda event: event.get("httpMethod") == "GET")
    return LocalApiGateway(
        handler,
        credentials,
        LOCAL_REGION,
        tuple((r.method, r.path) for r in routes),
        issued=stack.server.issued_credentials,
        models=stack.built.request_models,
        identify=stack.server.identity_of,
    )


class DemoRun:
    def __init__(self, stack: LocalRun, faults: set[Fault]) -> None:
        self.stack = stack
        self.built = stack.built
        self.faults = faults
        self.receiver = CallbackReceiver(stack.built.callback_secret)
        self.credentials = default_credentials()
        functions = stack.built.functions
        self.meter = UsageMeter(memory_of(stack.client("lambda"), [(k, f.name) for k, f in functions.items()]))
        self.gateway = api_gateway(stack, self.meter)
        self.dlq_handler = self.meter.timed("dlq_analyzer", handler_of("dlq_analyzer"))
        # Lambda's SQS event source mappings as applied: intake -> sqs_poller, and BDA's job-ended
        # events (the EventBridge rule's queue) -> bda_orchestrator.
        self.mappings = [
            EventSourceMapping(
                stack.client("sqs"),
                source.queue_url,
                self.meter.timed(source.function, handler_of(source.function)),
                LocalContext(source.function),
                LOCAL_REGION,
                function=source.function,
                batch_size=source.batch_size,
                reports_item_failures=source.reports_item_failures,
            )
            for source in (stack.built.event_source, stack.built.bda_events, stack.built.callbacks)
        ]
        self.esm = self.mappings[0]
        self.api: ApiClient | None = None
        self.events: list[str] = []

    def __enter__(self) -> DemoRun:
        self.meter.install()
        self.stack.router.observers.append(self._observe)
        self.receiver.start()
        self.gateway.start()
        for mapping in self.mappings:
            mapping.start()
        self.api = ApiClient(self.gateway.url, self.credentials, LOCAL_REGION)
        if Fault.BDA_THROTTLING in self.faults:
            self.stack.bda.throttle_first_starts = 1
        if Fault.CALLBACK_DOWN in self.faults:
            self.receiver.down_for_first(CALLBACK_DOWN_ATTEMPTS)
            self.events.append(
                f"callback receiver down (HTTP 503) for each callback's first {CALLBACK_DOWN_ATTEMPTS} attempts"
            )
        if Fault.HANDLER_ERROR in self.faults:
            self.stack.router.faults[self.built.functions["document_classifier"].name] = 2
        return self

    def _observe(self, function: str, milliseconds: float, event: Any) -> None:
        key = next((k for k, f in self.built.functions.items() if f.name == function), function)
        self.meter.record(key, milliseconds, event)

    def __exit__(self, *exc: object) -> None:
        self.stack.router.observers.remove(self._observe)
        self.meter.uninstall()
        for mapping in self.mappings:
            mapping.stop()
        self.gateway.stop()
        self.receiver.stop()
        self.stack.bda.throttle_first_starts = 0  # the stack may serve another run
        self.stack.bda.stuck.clear()
        self.stack.router.faults.clear()

    def submit(self, sample: Sample, tracked: Tracked) -> dict[str, Any]:
        assert self.api is not None  # noqa: S101 - inside the context
        status, body = self.api.call(
            "POST",
            "/documents",
            {
                "document_type": sample.declared_type,
                "content_type": sample.content_type,
                "filename": sample.filename,
                "callback_url": self.receiver.url,
            },
        )
        if status != 201:
            raise RuntimeError(f"POST /documents for {sample.name} answered {status}: {body}")
        tracked.document_id = body["document_id"]
        tracked.submitted = time.monotonic()
        return dict(body)

    def upload(self, sample: Sample, created: dict[str, Any]) -> None:
        assert self.api is not None  # noqa: S101
        data = (SAMPLES_DIR / "documents" / sample.filename).read_bytes()
        code = self.api.upload(created["upload"], sample.filename, sample.content_type, data)
        if code not in (200, 201, 204):
            raise RuntimeError(f"upload of {sample.name} answered HTTP {code}")

    def inject_duplicate(self, created: dict[str, Any]) -> None:
        key = created["upload"]["fields"]["key"]
        self.stack.client("sqs").send_message(
            QueueUrl=self.built.input_queue_url, MessageBody=s3_notification(self.built.names.input_bucket, key, 1)
        )
        self.events.append("duplicate S3 event sent for the first document")

    def inject_stuck_job(self) -> Tracked:
        """One more document whose BDA job never ends and sends no event: its deadline must end it."""
        sample = SAMPLES[0]
        stuck = Tracked("stuck-job", sample.declared_type, DocumentStatus.FAILED, sample=sample.name)
        created = self.submit(sample, stuck)
        self.stack.bda.stuck.add(stuck.document_id)
        self.upload(sample, created)
        self.events.append("a BDA job that never ends (stuck-job)")
        return stuck

    def inject_poison(self, tracked: Tracked) -> None:
        assert self.api is not None  # noqa: S101
        status, body = self.api.call(
            "POST",
            "/documents",
            {
                "document_type": "invoice",
                "content_type": "application/pdf",
                "filename": "poison.pdf",
                "callback_url": self.receiver.url,
            },
        )
        if status != 201:
            raise RuntimeError(f"POST /documents for the poison message answered {status}: {body}")
        tracked.document_id = body["document_id"]
        tracked.submitted = time.monotonic()
        key = body["upload"]["fields"]["key"]
        bad = s3_notification(self.built.names.input_bucket, key, "not-a-number")
        self.stack.client("sqs").send_message(QueueUrl=self.built.input_queue_url, MessageBody=bad)
        self.events.append("poison SQS message sent (an S3 event whose object size is not a number)")

    def stray_upload(self) -> None:
        key = f"uploads/{uuid.uuid4()}/stray.pdf"
        self.stack.client("s3").put_object(Bucket=self.built.names.input_bucket, Key=key, Body=b"%PDF-1.4 stray")
        self.events.append(f"upload for an unknown document id: {key}")

    def wait_for(self, tracked: list[Tracked], deadline: float, progress: Any) -> None:
        """Until every document is terminal and announced (its callback comes through the callbacks
        queue), or the deadline."""
        last_dlq = 0.0
        while time.monotonic() < deadline:
            for doc in [d for d in tracked if d.status not in TERMINAL]:
                self.refresh(doc)
            if progress is not None:
                progress.update(sum(d.status in TERMINAL for d in tracked))
            if all(d.status in TERMINAL for d in tracked) and self.all_announced(tracked):
                return
            if time.monotonic() - last_dlq > 2.0:  # dlq_analyzer's schedule, compressed
                self.drain_dlq()
                last_dlq = time.monotonic()
            time.sleep(0.3)

    def all_announced(self, docs: list[Tracked]) -> bool:
        return all(self.receiver.for_document(d.document_id) for d in docs if d.document_id)

    def count_transitions(self, tracked: Tracked) -> None:
        """How many states the document's execution entered (execution name = document id)."""
        arn = execution_arn(self.built.state_machine_arn, tracked.document_id)
        # None: it ended before the flow (at intake, in the DLQ)
        tracked.transitions = states_entered(self.stack.client("stepfunctions"), arn)

    def refresh(self, tracked: Tracked) -> None:
        assert self.api is not None  # noqa: S101
        status, body = self.api.call("GET", f"/documents/{tracked.document_id}")
        if status != 200:
            return
        tracked.status = body["status"]
        tracked.language = body.get("language")
        tracked.confidence = body.get("confidence")
        tracked.reason = body.get("status_reason")
        if tracked.status in TERMINAL and tracked.finished is None:
            tracked.finished = time.monotonic()

    def drain_dlq(self) -> dict[str, Any]:
        with invoking("dlq_analyzer"):
            return dict(self.dlq_handler({}, LocalContext("dlq_analyzer")))


def release_phase(
    run: DemoRun, samples: list[Sample], tracked: list[Tracked], deadline_after: float, progress: Any
) -> tuple[BadRelease, ReleaseFault]:
    """The bad-release fault, after the other documents: the earlier faults are over and their alarms
    clear; then a failing version of one function shifts in as a canary while the same documents are
    sent again - the alarm must return the traffic and every one of them must still end as expected."""
    run.stack.bda.throttle_first_starts = 0
    run.stack.router.faults.clear()
    bad = BadRelease(run.stack)
    still = bad.wait_until_calm(run.stack.timings.alarm_window_seconds * 4)
    if still:
        raise RuntimeError(f"bad-release: alarms still in ALARM before the release: {', '.join(still)}")
    fault = bad.publish()
    run.events.append(
        f"bad release: version {fault.bad} of {fault.function} fails {FAILING_SHARE:.0%} of its invocations; "
        f"shifted as {LOCAL_POLICY.describe()} (compressed)"
    )
    bad.start()
    sent = []
    for index, sample in enumerate(samples):
        doc = Tracked(f"release:{sample.name}#{index + 1}", sample.declared_type, sample.expected, sample=sample.name)
        run.upload(sample, run.submit(sample, doc))
        sent.append(doc)
    tracked.extend(sent)
    run.wait_for(tracked, time.monotonic() + deadline_after, progress)
    fault = bad.finish(timeout=LOCAL_POLICY.every_minutes * 60 + 10)
    if fault.record is not None:
        run.events.append(f"traffic shift of {RELEASE_FUNCTION}: {fault.record.outcome}")
    return bad, fault


def pages_of(recordings: dict[str, dict[str, Any]]) -> dict[str, int]:
    """BDA pages per sample name (its recording's standard output metadata)."""
    return {
        str(r.get("sample")): int(r.get("standard_output", {}).get("metadata", {}).get("number_of_pages", 0))
        for r in recordings.values()
    }


def measure_usage(meter: UsageMeter, docs: list[Tracked], recordings: dict[str, dict[str, Any]]) -> None:
    """Each document's usage (idp.local.usage): documents that never reached BDA are charged no page."""
    pages = pages_of(recordings)
    counted = {
        d.document_id: (d.transitions or 0, pages.get(d.sample, 0) if d.transitions else 0)
        for d in docs
        if d.document_id
    }
    used = meter.per_document(counted)
    for doc in docs:
        doc.usage = used.get(doc.document_id)


def cost_by_type(result: DemoResult) -> list[tuple[str, int, float, Usage]]:
    """(declared type, documents, mean USD per document, mean usage) for the processed documents."""
    if result.prices is None:
        return []
    groups: dict[str, list[Usage]] = {}
    for doc in result.documents:
        if doc.usage is not None and doc.status in PROCESSED:
            groups.setdefault(doc.declared_type, []).append(doc.usage)
    rows = []
    for kind, usages in sorted(groups.items()):
        total = Usage()
        for usage in usages:
            total = total + usage
        mean = total.scaled(1 / len(usages))
        rows.append((kind, len(usages), estimate(mean, result.prices).total, mean))
    return rows


def plan_documents(count: int | None) -> list[Sample]:
    pool = list(SAMPLES)
    return pool if count is None else list(itertools.islice(itertools.cycle(pool), count))


def happy_path(definition: dict[str, Any]) -> list[str]:
    """The states a document that goes well enters: StartAt, then each Next to the End."""
    states, path = definition["States"], [definition["StartAt"]]
    while "Next" in states[path[-1]]:
        if len(path) > len(states):
            raise ReadBackError("the state machine's happy path loops")
        path.append(states[path[-1]]["Next"])
    return path


def check_invariants(run: DemoRun, docs: list[Tracked]) -> dict[str, tuple[bool, str]]:
    results: dict[str, tuple[bool, str]] = {}
    sfn = run.stack.client("stepfunctions")
    definition = json.loads(sfn.describe_state_machine(stateMachineArn=run.built.state_machine_arn)["definition"])
    steps = len(happy_path(definition))
    off_path = [f"{d.label} ({d.transitions})" for d in docs if d.status in PROCESSED and d.transitions != steps]
    results[f"every processed document entered {steps} states (the happy path; no polling)"] = (
        not off_path,
        "all" if not off_path else f"other counts: {', '.join(off_path)}",
    )
    not_terminal = [d.label for d in docs if d.status not in TERMINAL]
    results["every document in exactly one terminal state"] = (
        not not_terminal,
        "all terminal" if not not_terminal else f"stuck: {', '.join(not_terminal)}",
    )
    executions = all_executions(run.stack.client("stepfunctions"), run.built.state_machine_arn)
    results["no document processed twice"] = processed_once(run.stack.bda.starts, [e["name"] for e in executions])
    bound = int(run.built.functions["bda_orchestrator"].environment["BDA_MAX_IN_FLIGHT"])  # as applied
    most = run.stack.bda.most_running
    results[f"BDA jobs in flight never above the env's bound ({bound})"] = (most <= bound, f"at most {most} at once")
    attrs = run.stack.client("sqs").get_queue_attributes(
        QueueUrl=run.built.dlq_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    left = int(attrs["ApproximateNumberOfMessages"])
    results["DLQ drained by dlq_analyzer"] = (left == 0, f"{left} message(s) left")
    results["one signed callback per document, telling its status"] = one_callback_each(
        docs, run.receiver.all_received()
    )
    return results


def processed_once(bda_starts: list[str], execution_names: list[str]) -> tuple[bool, str]:
    """No document started twice in BDA nor run by two executions: the check, and what it saw in words."""
    starts, runs = Counter(bda_starts), Counter(execution_names)
    twice = [doc for doc, n in starts.items() if n > 1] + [name for name, n in runs.items() if n > 1]
    if twice:
        return False, f"twice: {', '.join(dict.fromkeys(twice))}"
    return True, f"{len(execution_names)} executions, {len(bda_starts)} BDA jobs"


def one_callback_each(docs: list[Tracked], received: list[Received]) -> tuple[bool, str]:
    """Every document ends announced, however it ended (by the state machine, or failed at intake or
    in the DLQ): exactly one callback each, validly signed, telling the status the API reports."""
    unsigned = [r for r in received if not r.signature_valid]
    wrong = []
    for doc in docs:
        got = [r for r in received if doc.document_id and r.payload.get("document_id") == doc.document_id]
        if len(got) != 1 or got[0].payload.get("status") != doc.status:
            told = ", ".join(str(r.payload.get("status")) for r in got) or "none"
            wrong.append(f"{doc.label}: {len(got)} callback(s) ({told}), status {doc.status}")
    if unsigned or wrong:
        return False, f"bad signatures: {len(unsigned)}; missing, duplicated or wrong: {'; '.join(wrong) or 'none'}"
    return True, f"{len(received)} callbacks, all signatures valid"


def run_demo(
    *,
    documents: int | None = None,
    faults: set[Fault] | None = None,
    timeout: float | None = None,
    progress: Any = None,
    verbose: bool = False,
    keep: Callable[[DemoResult, str, str], None] | None = None,
    stack: LocalRun | None = None,
    apply_progress: Progress | None = None,
) -> DemoResult:
    """stack: an applied local stack to run on; else one is applied for this run (apply_progress
    gets Terraform's output lines) and stopped after it."""
    faults = faults or set()
    samples = plan_documents(documents)
    deadline_after = timeout or 60.0 + 1.0 * len(samples)
    with ExitStack() as scope:
        local = stack or scope.enter_context(local_stack(progress=apply_progress, quiet=not verbose))
        run = scope.enter_context(DemoRun(local, faults))
        started = time.monotonic()
        tracked: list[Tracked] = []
        for index, sample in enumerate(samples):
            label = sample.name if documents is None else f"{sample.name}#{index + 1}"
            doc = Tracked(label, sample.declared_type, sample.expected, sample=sample.name)
            created = run.submit(sample, doc)
            run.upload(sample, created)
            tracked.append(doc)
            if index == 0 and Fault.DUPLICATE_EVENT in faults:
                run.inject_duplicate(created)
        if Fault.STUCK_JOB in faults:
            tracked.append(run.inject_stuck_job())
        if Fault.POISON_MESSAGE in faults:
            poison = Tracked("poison-message", "invoice", DocumentStatus.FAILED)
            run.inject_poison(poison)
            tracked.append(poison)
        run.stray_upload()
        if progress is not None:
            progress.start(len(tracked) + (len(samples) if Fault.BAD_RELEASE in faults else 0))
        run.wait_for(tracked, time.monotonic() + deadline_after, progress)
        release: tuple[BadRelease, ReleaseFault] | None = None
        if Fault.BAD_RELEASE in faults:
            release = release_phase(run, samples, tracked, deadline_after, progress)
        time.sleep(0.5)  # let in-flight duplicate events settle before the invariants are read
        run.drain_dlq()
        for doc in tracked:
            run.count_transitions(doc)
        measure_usage(run.meter, tracked, local.bda.recordings)
        invariants = check_invariants(run, tracked)
        throttled = sum(local.bda.throttled.values())
        failed_calls = Counter(name for name, ok in local.router.invocations if not ok)
        events = [
            *run.events,
            f"event source: {run.esm.batches} batches, {run.esm.failures} failed records",
            f"BDA job-ended events: {run.mappings[1].batches} batches, {run.mappings[1].failures} failed records",
            f"BDA throttled {throttled} start call(s); the state machine retried them",
            "failed handler invocations (retried or caught): "
            + (", ".join(f"{name} x{n}" for name, n in sorted(failed_calls.items())) or "none"),
        ]
        if Fault.CALLBACK_DOWN in faults:
            events.append(
                f"callbacks refused while the receiver was down: {len(run.receiver.refused)}, each retried later"
            )
        if release is not None:
            invariants["a bad release returns all traffic automatically, no Terraform apply"] = release[0].verdict(
                release[1]
            )
        unevaluated = sorted(local.alarms.unsupported.items())
        if unevaluated:
            events.append(
                "alarms the local evaluator cannot evaluate: " + "; ".join(f"{a} ({w})" for a, w in unevaluated)
            )
        result = DemoResult(
            tracked,
            time.monotonic() - started,
            invariants,
            events,
            release and release[1],
            PriceList.load(LOCAL_REGION),
        )
        if keep is not None:
            keep(result, run.gateway.url, local.endpoint)  # blocks while the person uses the stack
        return result
