"""Record/replay double for Bedrock Data Automation (moto has no BDA).

`ReplayBda` implements the same BdaGateway interface as the real client. A job's input object is
looked up by its SHA-256 in a recordings folder; the recording's outputs are written to the job's
output prefix in the real BDA layout (job_metadata.json, standard_output/…, custom_output/…), so
the handlers read exactly what they would read in AWS. An input with no recording ends like an
unreadable document does in BDA: status ClientError.

A job ends `job_seconds` after its start, on a thread of its own, and - as BDA does for a job
started with EventBridge notifications - puts its job-ended event on the default bus of the
embedded AWS, where the rule Terraform applied routes it. The event's shape is the sample event in
the Bedrock user guide ("How EventBridge for Amazon Bedrock works"): detail-type "Bedrock Data
Automation Job Succeeded", detail {job_id, job_status, semantic_modality, input_s3_object{s3_bucket,
name}, output_s3_location{s3_bucket, name}, error_message}. Not reproduced: AWS documents no sample
of the two failure events, so they carry the same detail with job_status CLIENT_ERROR/SERVICE_ERROR
(the handler reads only the detail-type, job_id and the input's key, and asks BDA for the status);
BDA's delivery is best effort and unordered, this one always delivers (the `stuck` fault stands in
for a lost event); AWS refuses PutEvents with an `aws.` source from anyone but the service itself.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from idp.local.samples import SAMPLES_DIR, blueprint_arn
from idp_common import s3uri
from idp_common.bda import BdaJob, BdaJobStatus
from idp_common.errors import BdaThrottledError

RECORDINGS_DIR = SAMPLES_DIR / "recordings"


@dataclass
class _Job:
    document_id: str
    input_uri: str
    output_prefix: str  # s3://bucket/prefix/<invocation id>/
    recording: dict[str, Any] | None
    status: BdaJobStatus = BdaJobStatus.IN_PROGRESS
    output_uri: str | None = None

    @property
    def job_id(self) -> str:
        return self.output_prefix.rstrip("/").rsplit("/", 1)[-1]


ENDED_DETAIL_TYPES = {
    BdaJobStatus.SUCCESS: ("Bedrock Data Automation Job Succeeded", "SUCCESS"),
    BdaJobStatus.CLIENT_ERROR: ("Bedrock Data Automation Job Failed With Client Error", "CLIENT_ERROR"),
    BdaJobStatus.SERVICE_ERROR: ("Bedrock Data Automation Job Failed With Service Error", "SERVICE_ERROR"),
}
UNREADABLE = "Unable to process the document: unsupported or corrupt file"


def load_recordings(folder: Path = RECORDINGS_DIR) -> dict[str, dict[str, Any]]:
    """input sha256 -> recording."""
    recordings: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text())
        recordings[data["input_sha256"]] = data
    return recordings


@dataclass
class ReplayBda:
    s3: Any
    recordings: dict[str, dict[str, Any]]
    account_id: str = "123456789012"
    region: str = "eu-west-1"
    events: Any = None  # an EventBridge client: job-ended events go to its default bus
    job_seconds: float = 0.5
    throttle_first_starts: int = 0  # fault injection: this many start calls are throttled per document
    stuck: set[str] = field(default_factory=set)  # fault injection: these documents' jobs never end
    _jobs: dict[str, _Job] = field(default_factory=dict)
    throttled: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    starts: list[str] = field(default_factory=list)  # document ids, one per accepted start
    stuck_jobs: list[str] = field(default_factory=list)  # document ids whose job never ends
    running: int = 0  # jobs started and not ended (stuck ones left out: their slot goes back at the deadline)
    most_running: int = 0
    _timers: list[threading.Timer] = field(default_factory=list)

    def for_project(self, published: str | None) -> Callable[[str], ReplayBda]:
        """What bda_orchestrator calls with the project ARN it read: it must be the published one."""

        def gateway(project_arn: str) -> ReplayBda:
            if project_arn != published:
                raise ValueError(f"BDA invoked for {project_arn}, but the published project is {published}")
            return self

        return gateway

    def start(self, *, document_id: str, input_uri: str, output_uri: str) -> str:
        with self._lock:
            seen = self.throttled.get(document_id, 0)
            if seen < self.throttle_first_starts:
                self.throttled[document_id] = seen + 1
                raise BdaThrottledError("ThrottlingException: Rate exceeded (injected)")
            for arn, job in self._jobs.items():  # clientToken = document_id: a repeat returns the same job
                if job.document_id == document_id:
                    return arn
            invocation = str(uuid.uuid4())  # BDA job ids are UUIDs
        bucket, key = s3uri.parse(input_uri)
        body = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        recording = self.recordings.get(hashlib.sha256(body).hexdigest())
        arn = f"arn:aws:bedrock:{self.region}:{self.account_id}:data-automation-invocation/{invocation}"
        job = _Job(document_id, input_uri, f"{output_uri.rstrip('/')}/{invocation}/", recording)
        with self._lock:
            self._jobs[arn] = job
            self.starts.append(document_id)
            if document_id in self.stuck:  # no event, status InProgress for ever
                self.stuck_jobs.append(document_id)
                return arn
            timer = threading.Timer(self.job_seconds, self._end, args=(job,))
            timer.daemon = True
            self._timers.append(timer)
            self.running += 1
            self.most_running = max(self.most_running, self.running)
        timer.start()
        return arn

    def status(self, invocation_arn: str) -> BdaJob:
        with self._lock:
            job = self._jobs[invocation_arn]
        error = UNREADABLE if job.status is BdaJobStatus.CLIENT_ERROR else None
        return BdaJob(job.status, output_uri=job.output_uri, error=error)

    def wait_for_jobs(self, timeout: float = 10.0) -> None:
        """Until every job started so far has ended (and sent its event)."""
        with self._lock:
            timers = list(self._timers)
        for timer in timers:
            timer.join(timeout)

    def stop(self) -> None:
        """Jobs not yet ended never end (the stack is going away)."""
        with self._lock:
            timers, self._timers = self._timers, []
        for timer in timers:
            timer.cancel()

    def _end(self, job: _Job) -> None:
        if job.recording is None:
            job.status = BdaJobStatus.CLIENT_ERROR
        else:
            job.output_uri = self._write_outputs(job)
            job.status = BdaJobStatus.SUCCESS
        with self._lock:
            self.running -= 1
        if self.events is not None:
            self.events.put_events(Entries=[self.ended_event(job)])

    def ended_event(self, job: _Job) -> dict[str, Any]:
        """The PutEvents entry of the job's ended event (EventBridge adds id, account, region, time)."""
        detail_type, job_status = ENDED_DETAIL_TYPES[job.status]
        in_bucket, in_key = s3uri.parse(job.input_uri)
        out_bucket, out_key = s3uri.parse(job.output_prefix)
        detail = {
            "job_id": job.job_id,
            "job_status": job_status,
            "semantic_modality": "Document",
            "input_s3_object": {"s3_bucket": in_bucket, "name": in_key},
            "output_s3_location": {"s3_bucket": out_bucket, "name": out_key.rstrip("/")},
            "error_message": UNREADABLE if job.status is BdaJobStatus.CLIENT_ERROR else "",
        }
        return {"Source": "aws.bedrock", "DetailType": detail_type, "Detail": json.dumps(detail), "Resources": []}

    def _put(self, uri: str, data: dict[str, Any]) -> None:
        bucket, key = s3uri.parse(uri)
        self.s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(data).encode(), ContentType="application/json")

    def _write_outputs(self, job: _Job) -> str:
        assert job.recording is not None  # noqa: S101 - checked by the caller
        base = f"{job.output_prefix}0"
        standard_uri = f"{base}/standard_output/0/result.json"
        custom_uri = f"{base}/custom_output/0/result.json"
        custom = job.recording.get("custom_output")
        self._put(standard_uri, job.recording["standard_output"])
        if custom is not None:
            self._put(custom_uri, custom)
        metadata = {
            "job_id": job.job_id,
            "semantic_modality": "DOCUMENT",
            "output_metadata": [
                {
                    "asset_id": 0,
                    "segment_metadata": [
                        {
                            "standard_output_path": standard_uri,
                            "custom_output_status": "MATCH" if custom is not None else "NO_MATCH",
                            **({"custom_output_path": custom_uri} if custom is not None else {}),
                        }
                    ],
                }
            ],
        }
        metadata_uri = f"{job.output_prefix}job_metadata.json"
        self._put(metadata_uri, metadata)
        return metadata_uri


@dataclass
class LocalBlueprints:
    """In-memory BDA control plane (BlueprintRegistry) for the local run."""

    account_id: str = "123456789012"
    region: str = "eu-west-1"
    blueprints: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (arn, schema)
    project_blueprints: list[str] = field(default_factory=list)
    project_arn: str | None = None

    def existing(self, names: set[str]) -> dict[str, tuple[str, str]]:
        return {name: value for name, value in self.blueprints.items() if name in names}

    def create(self, name: str, schema: str) -> str:
        arn = blueprint_arn(name, self.account_id, self.region)
        self.blueprints[name] = (arn, schema)
        return arn

    def update(self, arn: str, schema: str) -> None:
        for name, (known, _) in self.blueprints.items():
            if known == arn:
                self.blueprints[name] = (arn, schema)

    def project(self, name: str, *, apply: bool) -> tuple[str | None, bool]:
        if self.project_arn is not None:
            return self.project_arn, False
        if not apply:
            return None, True
        suffix = hashlib.sha256(name.encode()).hexdigest()[:12]
        self.project_arn = f"arn:aws:bedrock:{self.region}:{self.account_id}:data-automation-project/{suffix}"
        return self.project_arn, True

    def attach(self, project_arn: str | None, arns: list[str], *, apply: bool) -> bool:
        if sorted(arns) == self.project_blueprints:
            return False
        if apply:
            self.project_blueprints = sorted(arns)
        return True
