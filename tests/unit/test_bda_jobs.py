"""A document's BDA job, event-driven: the token before the start, the ended event resuming the task
(SendTaskSuccess / SendTaskFailure checked against the Step Functions service model with Stubber),
late and foreign events, and the deadline's last question to BDA."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from idp.local.bda_double import ReplayBda, load_recordings
from idp.local.samples import SAMPLES_DIR
from idp_common.bda import BdaJobStatus, JobEnded, job_id_of
from idp_common.bda_jobs import WAITING, BdaJobs, Resumed, job_ended_event
from idp_common.bda_slots import BdaSlots
from idp_common.documents import DocumentRecord, DocumentStore, iso, utcnow
from idp_common.errors import (
    BdaDeadlineError,
    BdaJobFailedError,
    TransitionRejectedError,
)
from idp_common.flow import BdaOverdue, BdaStart
from idp_common.status import DocumentStatus
from idp_common.uploads import upload_key
from tests.conftest import Stack

# The sample event of the Bedrock user guide, "How EventBridge for Amazon Bedrock works" (Bedrock Data
# Automation tab), with its placeholders filled in: the shape the real service publishes.
DOCUMENTED_SAMPLE: dict[str, Any] = {
    "version": "0",
    "id": "0cc3eaf7-dff6-6f67-0ee0-ae572fccfe84",
    "detail-type": "Bedrock Data Automation Job Succeeded",
    "source": "aws.bedrock",
    "account": "123456789012",
    "time": "2025-05-27T22:48:36Z",
    "region": "us-west-2",
    "resources": [],
    "detail": {
        "job_id": "25010344-03f7-4167-803a-837afdc7ce98",
        "job_status": "SUCCESS",
        "semantic_modality": "Document",
        "input_s3_object": {"s3_bucket": "input-s3-bucket-name", "name": "key/name"},
        "output_s3_location": {"s3_bucket": "output-s3-bucket-name", "name": "key"},
        "error_message": "",
    },
}
TOKEN = "AQCEAAAAKgAAAAMAAAAA" + "x" * 60


def new_document(stack: Stack, sample: str, status: DocumentStatus = DocumentStatus.PROCESSING) -> DocumentRecord:
    store = DocumentStore(stack.client("dynamodb"), stack.names.documents_table)
    document_id = f"00000000-0000-4000-8000-{abs(hash(sample)) % 10**12:012d}"
    key = upload_key(document_id, f"{sample}.pdf")
    stack.client("s3").put_object(
        Bucket=stack.names.input_bucket, Key=key, Body=(SAMPLES_DIR / "documents" / f"{sample}.pdf").read_bytes()
    )
    now = iso(utcnow())
    record = DocumentRecord(
        document_id=document_id,
        document_type="passport",
        status=status,
        created_at=now,
        updated_at=now,
        object_key=key,
        content_type="application/pdf",
        filename=f"{sample}.pdf",
    )
    store.create(record)
    return record


@pytest.fixture
def bda(stack: Stack) -> Iterator[ReplayBda]:
    double = ReplayBda(s3=stack.client("s3"), recordings=load_recordings(), job_seconds=0.0)
    yield double
    double.wait_for_jobs()  # no job outlives the embedded AWS


def jobs_for(stack: Stack, bda: ReplayBda, sfn: Any, bound: int = 10) -> BdaJobs:
    store = DocumentStore(stack.client("dynamodb"), stack.names.documents_table)
    slots = BdaSlots(stack.client("dynamodb"), stack.names.documents_table, bound)
    return BdaJobs(store, bda, sfn, stack.names.output_bucket, slots)


@pytest.fixture
def sfn() -> Any:
    return boto3.client("stepfunctions", region_name="eu-west-1")


def start(stack: Stack, jobs: BdaJobs, record: DocumentRecord) -> str:
    request = BdaStart(
        action="start",
        document_id=record.document_id,
        bucket=stack.names.input_bucket,
        key=record.object_key,
        task_token=TOKEN,
    )
    arn = jobs.start(request).invocation_arn
    assert arn is not None
    return arn


def ended_event_of(bda: ReplayBda, document_id: str) -> JobEnded:
    """The event the double would put on the bus for this document's job, as the queue delivers it."""
    job = next(j for j in bda._jobs.values() if j.document_id == document_id)
    entry = bda.ended_event(job)
    event = {"source": entry["Source"], "detail-type": entry["DetailType"], "detail": json.loads(entry["Detail"])}
    parsed = job_ended_event(json.dumps(event | {"region": "eu-west-1", "account": "123456789012"}))
    assert parsed is not None
    return parsed


def test_the_documented_sample_event_is_read_and_other_events_are_not() -> None:
    event = JobEnded.parse(DOCUMENTED_SAMPLE)
    assert event is not None
    assert (event.job_id, event.status, event.input_key) == (
        "25010344-03f7-4167-803a-837afdc7ce98",
        BdaJobStatus.SUCCESS,
        "key/name",
    )
    assert event.invocation_arn() == (
        "arn:aws:bedrock:us-west-2:123456789012:data-automation-invocation/25010344-03f7-4167-803a-837afdc7ce98"
    )
    assert JobEnded.parse(DOCUMENTED_SAMPLE | {"detail-type": "Bedrock Data Automation Job Created"}) is None
    assert JobEnded.parse(DOCUMENTED_SAMPLE | {"source": "aws.s3"}) is None
    assert job_ended_event("not json") is None


def test_the_doubles_events_have_the_documented_shape(stack: Stack, bda: ReplayBda, sfn: Any) -> None:
    record = new_document(stack, "passport-en")
    start(stack, jobs_for(stack, bda, sfn), record)
    bda.wait_for_jobs()
    job = next(iter(bda._jobs.values()))
    detail = json.loads(bda.ended_event(job)["Detail"])

    def shape(node: Any) -> Any:
        return {k: shape(v) for k, v in node.items()} if isinstance(node, dict) else type(node).__name__

    assert shape(detail) == shape(DOCUMENTED_SAMPLE["detail"])
    assert bda.ended_event(job)["DetailType"] == DOCUMENTED_SAMPLE["detail-type"]


def test_the_token_is_recorded_before_the_job_starts(stack: Stack, bda: ReplayBda, sfn: Any) -> None:
    record = new_document(stack, "passport-en")
    store = DocumentStore(stack.client("dynamodb"), stack.names.documents_table)
    seen: list[str | None] = []
    plain_start = bda.start

    def watching_start(**kwargs: Any) -> str:
        current = store.get(record.document_id)
        seen.append(current.bda_task_token if current else None)
        return plain_start(**kwargs)

    bda.start = watching_start  # type: ignore[method-assign]
    arn = start(stack, jobs_for(stack, bda, sfn), record)
    assert seen == [TOKEN]
    after = store.get(record.document_id)
    assert after is not None
    assert (after.bda_task_token, after.bda_invocation_arn) == (TOKEN, arn)


def test_a_start_for_a_document_no_longer_processing_is_refused(stack: Stack, bda: ReplayBda, sfn: Any) -> None:
    record = new_document(stack, "passport-en", DocumentStatus.FAILED)
    with pytest.raises(TransitionRejectedError):
        start(stack, jobs_for(stack, bda, sfn), record)
    assert bda.starts == []  # nothing started for a document that has ended


def test_a_succeeded_job_resumes_its_task_with_the_output(stack: Stack, bda: ReplayBda, sfn: Any) -> None:
    record = new_document(stack, "passport-en")
    jobs = jobs_for(stack, bda, sfn)
    arn = start(stack, jobs, record)
    bda.wait_for_jobs()
    with Stubber(sfn) as stub:
        stub.add_response("send_task_success", {}, {"taskToken": TOKEN, "output": ANY})
        assert jobs.ended(ended_event_of(bda, record.document_id)) is Resumed.SUCCEEDED
        stub.assert_no_pending_responses()
    status = bda.status(arn)
    assert status.status is BdaJobStatus.SUCCESS
    assert status.output_uri is not None
    assert status.output_uri.endswith(f"{job_id_of(arn)}/job_metadata.json")


def test_the_success_output_is_the_step_the_flow_reads(stack: Stack, bda: ReplayBda) -> None:
    record = new_document(stack, "passport-en")
    sent: list[dict[str, Any]] = []

    class Recording:
        def send_task_success(self, **kwargs: Any) -> None:
            sent.append(kwargs)

    jobs = jobs_for(stack, bda, Recording())
    arn = start(stack, jobs, record)
    bda.wait_for_jobs()
    assert jobs.ended(ended_event_of(bda, record.document_id)) is Resumed.SUCCEEDED
    assert sent[0]["taskToken"] == TOKEN
    output = json.loads(sent[0]["output"])
    assert (output["invocation_arn"], output["status"]) == (arn, "Success")
    assert output["output_uri"] == bda.status(arn).output_uri


def test_a_failed_job_fails_its_task_with_the_reason(stack: Stack, bda: ReplayBda, sfn: Any) -> None:
    record = new_document(stack, "corrupt-scan")  # no recording: BDA cannot read it
    jobs = jobs_for(stack, bda, sfn)
    start(stack, jobs, record)
    bda.wait_for_jobs()
    with Stubber(sfn) as stub:
        stub.add_response(
            "send_task_failure",
            {},
            {"taskToken": TOKEN, "error": "BdaJobFailedError", "cause": ANY},
        )
        assert jobs.ended(ended_event_of(bda, record.document_id)) is Resumed.FAILED
        stub.assert_no_pending_responses()


def test_an_event_for_a_task_that_stopped_waiting_is_dropped(stack: Stack, bda: ReplayBda, sfn: Any) -> None:
    record = new_document(stack, "passport-en")
    jobs = jobs_for(stack, bda, sfn)
    start(stack, jobs, record)
    bda.wait_for_jobs()
    with Stubber(sfn) as stub:
        stub.add_client_error("send_task_success", service_error_code="TaskTimedOut")
        assert jobs.ended(ended_event_of(bda, record.document_id)) is Resumed.TOO_LATE
    with Stubber(sfn) as stub:
        stub.add_client_error("send_task_success", service_error_code="AccessDeniedException")
        with pytest.raises(Exception, match="AccessDenied"):
            jobs.ended(ended_event_of(bda, record.document_id))  # retried by the queue, then its DLQ


def test_foreign_and_stale_events_resume_nothing(stack: Stack, bda: ReplayBda, sfn: Any) -> None:
    jobs = jobs_for(stack, bda, sfn)  # the Stubber-less client would fail any call: none is made
    with Stubber(sfn):
        assert jobs.ended(JobEnded.parse(DOCUMENTED_SAMPLE)) is Resumed.NOT_OURS  # type: ignore[arg-type]
        record = new_document(stack, "passport-en")
        start(stack, jobs, record)
        bda.wait_for_jobs()
        event = ended_event_of(bda, record.document_id)
        earlier = JobEnded(
            job_id="11111111-2222-4333-8444-555555555555",
            status=event.status,
            input_key=event.input_key,
            region=event.region,
            account=event.account,
        )
        assert jobs.ended(earlier) is Resumed.STALE  # an earlier job of the document
        DocumentStore(stack.client("dynamodb"), stack.names.documents_table).transition(
            record.document_id, DocumentStatus.FAILED, status_reason="ended at its deadline"
        )
        assert jobs.ended(event) is Resumed.STALE  # the document has moved on


def test_at_the_deadline_bda_is_asked_once(stack: Stack, bda: ReplayBda, sfn: Any) -> None:
    jobs = jobs_for(stack, bda, sfn)
    stuck, done, never = (new_document(stack, name) for name in ("passport-en", "passport-fr", "invoice-de"))
    bda.stuck.add(stuck.document_id)
    arn = start(stack, jobs, stuck)
    start(stack, jobs, done)
    bda.wait_for_jobs()

    def overdue(record: DocumentRecord) -> Any:
        return jobs.overdue(BdaOverdue(action="overdue", document_id=record.document_id, deadline_seconds=6))

    with pytest.raises(BdaDeadlineError, match=rf"BDA job {job_id_of(arn)} had not ended 6 s after it started"):
        overdue(stuck)
    assert overdue(done).status == "Success"  # its event was lost: the flow goes on
    with pytest.raises(BdaDeadlineError, match="no BDA job had started"):
        overdue(never)
    failed = new_document(stack, "corrupt-scan")
    start(stack, jobs, failed)
    bda.wait_for_jobs()
    with pytest.raises(BdaJobFailedError, match="BDA job ended ClientError"):
        overdue(failed)


def test_slots_bound_the_jobs_in_flight_and_a_retried_start_takes_none_more(stack: Stack) -> None:
    slots = BdaSlots(stack.client("dynamodb"), stack.names.documents_table, bound=2)
    assert slots.take("a")
    assert slots.take("b")
    assert not slots.take("c")  # all taken: c waits
    assert slots.take("a")  # a retried start of a holder: still one slot
    assert slots.holders() == {"a", "b"}
    slots.give_back("a")
    slots.give_back("a")  # twice is harmless
    assert slots.take("c")
    slots.give_back("b")
    slots.give_back("c")
    assert slots.holders() == set()  # DynamoDB drops an empty set: the next take starts afresh
    assert slots.take("d")


def waits(jobs: BdaJobs, sfn: Any, record: DocumentRecord, error: str) -> None:
    """The start waits: it fails its own task with `error` (the task's Retry waits on it; the request
    is checked against Step Functions' model) and the invocation succeeds - no Lambda error."""
    request = BdaStart(
        action="start", document_id=record.document_id, bucket="b", key=record.object_key, task_token=TOKEN
    )
    with Stubber(sfn) as stub:
        stub.add_response("send_task_failure", {}, {"taskToken": TOKEN, "error": error, "cause": ANY})
        step = jobs.start(request)
        stub.assert_no_pending_responses()
    assert (step.status, step.invocation_arn) == (WAITING, None)


def test_a_start_beyond_the_bound_waits_and_a_failed_start_gives_its_slot_back(
    stack: Stack, bda: ReplayBda, sfn: Any
) -> None:
    jobs = jobs_for(stack, bda, sfn, bound=1)
    first, second = new_document(stack, "passport-en"), new_document(stack, "passport-fr")
    bda.stuck.add(first.document_id)
    start(stack, jobs, first)
    waits(jobs, sfn, second, "BdaCapacityError")
    assert bda.starts == [first.document_id]  # the second never reached BDA
    with pytest.raises(BdaDeadlineError):
        jobs.overdue(BdaOverdue(action="overdue", document_id=first.document_id, deadline_seconds=6))
    bda.throttle_first_starts = 1
    waits(jobs, sfn, second, "BdaThrottledError")  # the slot was free (overdue gave it back); BDA throttled
    assert jobs.slots.holders() == set()  # ... and the slot went back with it
    start(stack, jobs, second)
    assert jobs.slots.holders() == {second.document_id}
    bda.wait_for_jobs()
    with Stubber(sfn) as stub:
        stub.add_response("send_task_success", {}, {"taskToken": TOKEN, "output": ANY})
        assert jobs.ended(ended_event_of(bda, second.document_id)) is Resumed.SUCCEEDED
    assert jobs.slots.holders() == set()  # the ended job's slot is free for the next start
