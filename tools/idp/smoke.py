"""Post-deploy smoke test: health, a sample upload, its status to a terminal state, its result."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import urllib3

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

    def __init__(self, api: str, headers: dict[str, str], report: SmokeReport) -> None:
        self.http = urllib3.PoolManager(
            timeout=urllib3.Timeout(total=30), retries=urllib3.Retry(total=2, backoff_factor=0.5)
        )
        self.base = api.rstrip("/")
        self.headers = headers
        self.report = report

    def health(self) -> bool:
        try:
            response = self.http.request("GET", f"{self.base}/health", headers=self.headers)
        except urllib3.exceptions.HTTPError as exc:
            return self.report.add("GET /health", False, f"unreachable: {exc}")
        return self.report.add("GET /health", response.status == 200, f"HTTP {response.status}")

    def create(self, sample: Path) -> dict[str, Any] | None:
        body = {"document_type": "passport", "content_type": "application/pdf", "filename": sample.name}
        headers = {"Content-Type": "application/json", **self.headers}
        response = self.http.request("POST", f"{self.base}/documents", body=json.dumps(body).encode(), headers=headers)
        data = _json(response)
        ok = self.report.add("POST /documents", response.status == 201 and "upload" in data, f"HTTP {response.status}")
        return data if ok else None

    def upload(self, created: dict[str, Any], sample: Path) -> bool:
        fields: dict[str, Any] = dict(created["upload"]["fields"])
        fields["file"] = (sample.name, sample.read_bytes(), "application/pdf")
        response = self.http.request("POST", created["upload"]["url"], fields=fields)
        return self.report.add("presigned upload", response.status in (200, 201, 204), f"HTTP {response.status}")

    def wait(self, document_id: str, timeout: float, poll: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        status: dict[str, Any] = {}
        while time.monotonic() < deadline:
            status = _json(self.http.request("GET", f"{self.base}/documents/{document_id}", headers=self.headers))
            if status.get("status") in TERMINAL:
                break
            time.sleep(poll)
        final = status.get("status", "unknown")
        self.report.add("document reaches a terminal status", final in TERMINAL, f"{document_id} is {final}")
        return status

    def result(self, status: dict[str, Any], document_id: str) -> None:
        url = status.get("result_url")
        output = _json(self.http.request("GET", url, retries=False)) if url else {}
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
    headers: dict[str, str] | None = None,
) -> SmokeReport:
    report = SmokeReport()
    smoke = _Smoke(api, headers or {}, report)
    if not smoke.health():
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
