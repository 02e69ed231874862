"""Post-deploy smoke test: health, a sample upload, its status to a terminal state, its result."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import urllib3
from botocore.credentials import Credentials, ReadOnlyCredentials

from idp.api_client import ApiClient, default_credentials
from idp.paths import REPO_ROOT

SAMPLE = REPO_ROOT / "samples" / "documents" / "passport-en.pdf"
TERMINAL = {"COMPLETED", "LOW_CONFIDENCE", "FAILED", "EXPIRED"}


@dataclass
class SmokeReport:
    checks: list[tuple[str, bool, str]] = field(default_factory=list)

    def add(self, name: str, ok: bool, detail: str = "") -> bool:
        self.checks.append((name, ok, detail))
        return ok

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(ok for _, ok, _ in self.checks)

    def render(self) -> str:
        return "\n".join(
            f"{'PASS' if ok else 'FAIL'}  {name}{f': {detail}' if detail else ''}" for name, ok, detail in self.checks
        )


def _json(response: Any) -> dict[str, Any]:
    try:
        data = json.loads(response.data or b"{}")
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


class _Smoke:
    """One step per method; each returns what the next step needs, or None once a check failed."""

    def __init__(self, api: ApiClient, report: SmokeReport) -> None:
        self.api = api
        self.report = report

    def health(self) -> bool:
        try:
            status, _ = self.api.call("GET", "/health")
        except urllib3.exceptions.HTTPError as exc:
            return self.report.add("GET /health", False, f"unreachable: {exc}")
        hint = " (is the role allowed execute-api:Invoke on this API?)" if status == 403 else ""
        return self.report.add("GET /health (signed)", status == 200, f"HTTP {status}{hint}")

    def unsigned_refused(self) -> bool:
        status, body = self.api.call("GET", "/health", signed=False)
        ok = status == 403 and "error" in body
        return self.report.add("unsigned request refused", ok, f"HTTP {status} {body.get('error', '')}".rstrip())

    def create(self, sample: Path) -> dict[str, Any] | None:
        body = {"document_type": "passport", "content_type": "application/pdf", "filename": sample.name}
        status, data = self.api.call("POST", "/documents", body)
        ok = self.report.add("POST /documents", status == 201 and "upload" in data, f"HTTP {status}")
        return data if ok else None

    def upload(self, created: dict[str, Any], sample: Path) -> bool:
        status = self.api.upload(created["upload"], sample.name, "application/pdf", sample.read_bytes())
        return self.report.add("presigned upload", status in (200, 201, 204), f"HTTP {status}")

    def wait(self, document_id: str, timeout: float, poll: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        status: dict[str, Any] = {}
        while time.monotonic() < deadline:
            _, status = self.api.call("GET", f"/documents/{document_id}")
            if status.get("status") in TERMINAL:
                break
            time.sleep(poll)
        final = status.get("status", "unknown")
        self.report.add("document reaches a terminal status", final in TERMINAL, f"{document_id} is {final}")
        return status

    def result(self, status: dict[str, Any], document_id: str) -> None:
        url = status.get("result_url")
        output = _json(self.api.http.request("GET", url, retries=False)) if url else {}
        fields = output.get("extracted_data") or {}
        ok = output.get("document_id") == document_id and bool(fields)
        self.report.add("result document", ok, f"{len(fields)} fields extracted")


def run_smoke(
    api: str,
    *,
    timeout: float = 300,
    poll: float = 2,
    sample: Path = SAMPLE,
    expected: str = "COMPLETED",
    credentials: Credentials | ReadOnlyCredentials | None = None,
    region: str = "eu-west-1",
) -> SmokeReport:
    """credentials: the signing identity (default: the AWS credential chain, e.g. the job's role)."""
    report = SmokeReport()
    http = urllib3.PoolManager(timeout=urllib3.Timeout(total=30), retries=urllib3.Retry(total=2, backoff_factor=0.5))
    smoke = _Smoke(ApiClient(api, credentials or default_credentials(), region, http), report)
    if not smoke.health() or not smoke.unsigned_refused():
        return report
    created = smoke.create(sample)
    if created is None or not smoke.upload(created, sample):
        return report
    status = smoke.wait(created["document_id"], timeout, poll)
    final = status.get("status", "unknown")
    if final not in TERMINAL:
        return report
    reason = status.get("status_reason") or ""
    if report.add(f"status is {expected}", final == expected, f"{final}: {reason}".rstrip(": ")):
        smoke.result(status, created["document_id"])
    return report
