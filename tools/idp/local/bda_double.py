"""Record/replay double for Bedrock Data Automation (moto has no BDA).

`ReplayBda` implements the same BdaGateway interface as the real client. A job's input object is
looked up by its SHA-256 in a recordings folder; the recording's outputs are written to the job's
output prefix in the real BDA layout (job_metadata.json, standard_output/…, custom_output/…), so
the handlers read exactly what they would read in AWS. An input with no recording ends like an
unreadable document does in BDA: status ClientError.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from idp.local.samples import SAMPLES_DIR
from idp_common import s3uri
from idp_common.bda import BdaJob, BdaJobStatus
from idp_common.errors import BdaThrottledError

RECORDINGS_DIR = SAMPLES_DIR / "recordings"


@dataclass
class _Job:
    document_id: str
    output_prefix: str  # s3://bucket/prefix/<invocation id>/
    recording: dict[str, Any] | None
    polls_left: int


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
    polls_before_done: int = 1
    throttle_first_starts: int = 0  # fault injection: this many start calls are throttled per document
    _jobs: dict[str, _Job] = field(default_factory=dict)
    throttled: dict[str, int] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    starts: list[str] = field(default_factory=list)  # document ids, one per accepted start

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
            invocation = f"{next(self._ids):08d}"
        bucket, key = s3uri.parse(input_uri)
        body = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        recording = self.recordings.get(hashlib.sha256(body).hexdigest())
        arn = f"arn:aws:bedrock:{self.region}:{self.account_id}:data-automation-invocation/{invocation}"
        with self._lock:
            self._jobs[arn] = _Job(
                document_id, f"{output_uri.rstrip('/')}/{invocation}/", recording, self.polls_before_done
            )
            self.starts.append(document_id)
        return arn

    def status(self, invocation_arn: str) -> BdaJob:
        with self._lock:
            job = self._jobs[invocation_arn]
            if job.polls_left > 0:
                job.polls_left -= 1
                return BdaJob(BdaJobStatus.IN_PROGRESS)
        if job.recording is None:
            return BdaJob(
                BdaJobStatus.CLIENT_ERROR, error="Unable to process the document: unsupported or corrupt file"
            )
        return BdaJob(BdaJobStatus.SUCCESS, output_uri=self._write_outputs(job))

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
            "job_id": job.output_prefix.rstrip("/").rsplit("/", 1)[-1],
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
        suffix = hashlib.sha256(name.encode()).hexdigest()[:12]
        arn = f"arn:aws:bedrock:{self.region}:{self.account_id}:blueprint/{suffix}"
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
