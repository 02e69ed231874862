"""A document's BDA job from start to end, event-driven.

StartExtraction (waitForTaskToken) calls `start`: the task token goes on the document's record
before the job starts, so the job's ended event can never arrive before the token is there; the job
starts only with one of the env's slots (idp_common.bda_slots). No slot, or BDA throttling the start,
is a wait, not a fault: the invocation fails the task itself (SendTaskFailure with BdaCapacityError /
BdaThrottledError, which the task's Retry waits on) and succeeds - so the function's error rate, which
stops a release's traffic shift (modules/monitoring), counts faults only. Every way a job ends gives
its slot back.
BDA's ended event (EventBridge -> SQS -> bda_orchestrator) calls `ended`: it reads the job's status
from BDA and resumes the waiting task with SendTaskSuccess / SendTaskFailure. At the execution's
deadline, `overdue` asks BDA once (the event is delivered best effort) and either goes on or fails.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError

from idp_common import s3uri, uploads
from idp_common.bda import FAILED_STATUSES, BdaGateway, BdaJob, BdaJobStatus, JobEnded, job_id_of
from idp_common.bda_slots import BdaSlots
from idp_common.documents import DocumentStore
from idp_common.errors import BdaCapacityError, BdaDeadlineError, BdaJobFailedError, BdaThrottledError
from idp_common.flow import BdaOverdue, BdaStart, BdaStep
from idp_common.status import DocumentStatus

# SendTask* answers for a task that is no longer waiting (it timed out, the execution ended): the
# event came too late, and there is nothing left to resume.
GONE = frozenset({"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"})
WAITING = "WAITING"  # no job started: the task was failed with the wait's error, its Retry starts again


class Resumed(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    NOT_OURS = "not-ours"  # another job of the account, or an input that is no document of ours
    STALE = "stale"  # the document has moved on, or the event is of an earlier job
    TOO_LATE = "too-late"  # the task had stopped waiting


def step_of(arn: str, job: BdaJob) -> BdaStep:
    return BdaStep(invocation_arn=arn, status=job.status.value, output_uri=job.output_uri, error=job.error)


def failure_cause(job: BdaJob) -> str:
    return f"BDA job ended {job.status.value}: {job.error or 'no error message'}"


@dataclass
class BdaJobs:
    store: DocumentStore
    bda: BdaGateway
    sfn: Any
    output_bucket: str
    slots: BdaSlots

    def start(self, request: BdaStart) -> BdaStep:
        try:
            return self._start(request)
        except (BdaCapacityError, BdaThrottledError) as exc:
            self.sfn.send_task_failure(taskToken=request.task_token, error=type(exc).__name__, cause=str(exc)[:32768])
            return BdaStep(invocation_arn=None, status=WAITING)

    def _start(self, request: BdaStart) -> BdaStep:
        document_id = request.document_id
        self.store.track_bda(document_id, bda_task_token=request.task_token)
        if not self.slots.take(document_id):
            raise BdaCapacityError(f"all {self.slots.bound} BDA job slots are taken; the start waits for one")
        try:
            arn = self.bda.start(
                document_id=document_id,
                input_uri=s3uri.build(request.bucket, request.key),
                output_uri=s3uri.build(self.output_bucket, uploads.bda_output_prefix(document_id)),
            )
        except Exception:
            self.slots.give_back(document_id)  # no job runs: the slot goes to the next start
            raise
        self.store.track_bda(document_id, bda_invocation_arn=arn)
        return BdaStep(invocation_arn=arn, status=BdaJobStatus.CREATED.value)

    def ended(self, event: JobEnded) -> Resumed:
        document_id = uploads.document_id_from_key(event.input_key or "")
        record = self.store.get(document_id) if document_id else None
        if record is None:
            return Resumed.NOT_OURS
        known = record.bda_invocation_arn
        if known is not None and job_id_of(known) != event.job_id:
            return Resumed.STALE  # an earlier job of the document: the slot is the current job's
        self.slots.give_back(record.document_id)
        if record.status is not DocumentStatus.PROCESSING or not record.bda_task_token:
            return Resumed.STALE
        arn = known or event.invocation_arn()
        job = self.bda.status(arn)  # the output's location, as BDA reports it
        try:
            if job.status is BdaJobStatus.SUCCESS:
                output = step_of(arn, job).model_dump_json()
                self.sfn.send_task_success(taskToken=record.bda_task_token, output=output)
                return Resumed.SUCCEEDED
            if job.status in FAILED_STATUSES:
                self.sfn.send_task_failure(
                    taskToken=record.bda_task_token, error=BdaJobFailedError.__name__, cause=failure_cause(job)[:32768]
                )
                return Resumed.FAILED
        except ClientError as exc:
            if exc.response["Error"]["Code"] in GONE:
                return Resumed.TOO_LATE
            raise
        # The event said the job ended, BDA says it has not (yet): raise so the message is retried.
        raise RuntimeError(f"BDA job {event.job_id}: ended event says {event.status}, BDA says {job.status}")

    def overdue(self, request: BdaOverdue) -> BdaStep:
        record = self.store.get(request.document_id)
        arn = record.bda_invocation_arn if record else None
        # The document goes on or ends here: its slot goes back either way. (A job BDA still runs
        # then runs beside the bound: BDA has no call to stop one.)
        self.slots.give_back(request.document_id)
        if arn is None:
            raise BdaDeadlineError(f"no BDA job had started {request.deadline_seconds} s after the first attempt")
        job = self.bda.status(arn)
        if job.status is BdaJobStatus.SUCCESS:
            return step_of(arn, job)
        if job.status in FAILED_STATUSES:
            raise BdaJobFailedError(failure_cause(job))
        raise BdaDeadlineError(
            f"BDA job {job_id_of(arn)} had not ended {request.deadline_seconds} s after it started "
            f"(status {job.status.value})"
        )


def job_ended_event(body: str) -> JobEnded | None:
    """An SQS message's body, as the EventBridge rule's SQS target sends it (the event itself)."""
    try:
        event = json.loads(body)
    except json.JSONDecodeError:
        return None
    return JobEnded.parse(event) if isinstance(event, dict) else None
