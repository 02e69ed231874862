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


def run_smoke(
    api: str,
    *,
    timeout: float = 300,
    poll: float = 2,
    sample: Path = SAMPLE,
    expected: str = "COMPLETED",
    headers: dict[str, str] | None = None,
) -> SmokeReport:
    http = urllib3.PoolManager(timeout=urllib3.Timeout(total=30), retries=urllib3.Retry(total=2, backoff_factor=0.5))
    base = api.rstrip("/")
    auth = headers or {}
    report = SmokeReport()
    health = http.request("GET", f"{base}/health", headers=auth)
    if not report.add("GET /health", health.status == 200, f"HTTP {health.status}"):
        return report
    body = {"document_type": "passport", "content_type": "application/pdf", "filename": sample.name}
    created = http.request(
        "POST",
        f"{base}/documents",
        body=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **auth},
    )
    data = _json(created)
    if not report.add("POST /documents", created.status == 201 and "upload" in data, f"HTTP {created.status}"):
        return report
    fields: dict[str, Any] = dict(data["upload"]["fields"])
    fields["file"] = (sample.name, sample.read_bytes(), "application/pdf")
    upload = http.request("POST", data["upload"]["url"], fields=fields)
    if not report.add("presigned upload", upload.status in (200, 201, 204), f"HTTP {upload.status}"):
        return report
    document_id = data["document_id"]
    deadline = time.monotonic() + timeout
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        status = _json(http.request("GET", f"{base}/documents/{document_id}", headers=auth))
        if status.get("status") in TERMINAL:
            break
        time.sleep(poll)
    final = status.get("status", "unknown")
    if not report.add(
        "document reaches a terminal status", final in TERMINAL, f"{document_id} is {final} after {timeout:.0f}s"
    ):
        return report
    if not report.add(
        f"status is {expected}", final == expected, f"{final}: {status.get('status_reason') or ''}".strip(": ")
    ):
        return report
    result = http.request("GET", status.get("result_url") or "", retries=False) if status.get("result_url") else None
    output = _json(result) if result is not None else {}
    report.add(
        "result document",
        output.get("document_id") == document_id and bool(output.get("extracted_data")),
        f"{len(output.get('extracted_data', {}))} fields extracted",
    )
    return report
