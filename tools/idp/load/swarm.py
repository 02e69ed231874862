"""The load test's swarm: Locust as a library, in a process of its own.

`python -m idp.load.swarm CONFIG RESULT` - idp.load.run starts it. Importing Locust patches the
interpreter with gevent (sockets, threads, time), so nothing else may share its process: not the CLI's
other commands, not the local stack's threads, not the test suite.

Each user of the swarm takes the next document of the run and goes the way a client goes, with
Locust's HTTP client (its statistics per request): POST /documents (SigV4-signed with the caller's
AWS credentials, as idp.api_client signs), the presigned POST to S3, then GET /documents/{id} every
`poll_seconds` until a terminal status. The document's own line - create to terminal status seen - is
one more entry in Locust's statistics, and one record in the result file.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import locust
from locust import HttpUser, constant, task
from locust.env import Environment
from locust.exception import StopUser

from idp import sigv4
from idp.api_client import default_credentials
from idp.load.result import DocumentRun, RequestStats

TERMINAL = {"COMPLETED", "LOW_CONFIDENCE", "FAILED", "EXPIRED"}
DOCUMENT = "DOCUMENT"  # the request type of the end-to-end entries in Locust's statistics


@dataclass
class Plan:
    """The run's documents, handed out one at a time (greenlets: no lock needed)."""

    api: str
    region: str
    documents: list[dict[str, str]]  # sample, declared_type, content_type, path, expected
    count: int
    poll_seconds: float
    document_timeout: float
    callback_url: str = ""
    started_at: float = field(default_factory=time.monotonic)
    taken: int = 0
    finished: list[DocumentRun] = field(default_factory=list)
    in_flight: dict[int, tuple[dict[str, str], float, str]] = field(default_factory=dict)

    def take(self) -> tuple[int, dict[str, str]] | None:
        if self.taken >= self.count:
            return None
        index = self.taken
        self.taken += 1
        return index, self.documents[index % len(self.documents)]

    def now(self) -> float:
        return time.monotonic() - self.started_at


PLAN: Plan | None = None


class DocumentClient(HttpUser):
    """One client sending one document at a time, as fast as the flow takes them."""

    wait_time = constant(0)

    def on_start(self) -> None:
        self.credentials = default_credentials()

    def _signed(self, method: str, path: str, body: dict[str, Any] | None, name: str) -> tuple[int, dict[str, Any]]:
        assert PLAN is not None  # noqa: S101 - set before the runner starts
        data = json.dumps(body).encode() if body is not None else b""
        url = PLAN.api.rstrip("/") + path
        headers = {"Content-Type": "application/json"} if body is not None else {}
        region = sigv4.region_of(url, PLAN.region)
        headers = sigv4.sign(method, url, data, headers, credentials=self.credentials, region=region)
        response = self.client.request(method, url, data=data or None, headers=headers, name=name)
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        return response.status_code, payload if isinstance(payload, dict) else {}

    @task
    def one_document(self) -> None:
        assert PLAN is not None  # noqa: S101
        taken = PLAN.take()
        if taken is None:
            raise StopUser
        index, sample = taken
        started = PLAN.now()
        PLAN.in_flight[index] = (sample, started, "")
        try:
            status, document_id, error = self._document(index, sample)
        except Exception as exc:
            status, document_id, error = "ERROR", PLAN.in_flight[index][2], f"{type(exc).__name__}: {exc}"
        del PLAN.in_flight[index]
        ended = PLAN.now()
        run = DocumentRun(sample["sample"], sample["expected"], status, started, ended, document_id, error)
        PLAN.finished.append(run)
        failure = None if run.ok else Exception(error or f"ended {status}, expected {sample['expected']}")
        self.environment.events.request.fire(
            request_type=DOCUMENT,
            name="create -> terminal status",
            response_time=(ended - started) * 1000,
            response_length=0,
            exception=failure,
            context={},
        )

    def _document(self, index: int, sample: dict[str, str]) -> tuple[str, str, str]:
        assert PLAN is not None  # noqa: S101
        body = {
            "document_type": sample["declared_type"],
            "content_type": sample["content_type"],
            "filename": Path(sample["path"]).name,
        }
        if PLAN.callback_url:
            body["callback_url"] = PLAN.callback_url
        code, created = self._signed("POST", "/documents", body, "/documents")
        if code != 201 or "upload" not in created:
            return f"HTTP {code}", "", f"POST /documents answered HTTP {code}"
        document_id = str(created["document_id"])
        PLAN.in_flight[index] = (sample, PLAN.in_flight[index][1], document_id)
        upload = created["upload"]
        content = Path(sample["path"]).read_bytes()
        files = {"file": (Path(sample["path"]).name, content, sample["content_type"])}
        sent = self.client.post(upload["url"], data=upload["fields"], files=files, name="presigned upload (S3)")
        if sent.status_code not in (200, 201, 204):
            return f"HTTP {sent.status_code}", document_id, f"upload answered HTTP {sent.status_code}"
        deadline = time.monotonic() + PLAN.document_timeout
        while time.monotonic() < deadline:
            time.sleep(PLAN.poll_seconds)  # gevent's: Locust patched time on import
            code, state = self._signed("GET", f"/documents/{document_id}", None, "/documents/{id}")
            if code == 200 and state.get("status") in TERMINAL:
                return str(state["status"]), document_id, ""
        return "TIMEOUT", document_id, f"no terminal status in {PLAN.document_timeout:g} s"


def _stats(environment: Environment) -> list[RequestStats]:
    return [
        RequestStats(
            f"{entry.method} {entry.name}" if entry.method != DOCUMENT else entry.name,
            entry.num_requests,
            entry.num_failures,
            entry.get_response_time_percentile(0.5) or 0.0,
            entry.get_response_time_percentile(0.95) or 0.0,
            entry.max_response_time or 0.0,
        )
        for entry in sorted(environment.stats.entries.values(), key=lambda e: (e.method != DOCUMENT, e.name))
    ]


def swarm(config: dict[str, Any]) -> dict[str, Any]:
    """Run the plan with `concurrency` users until every document is done or `time_limit` passes."""
    global PLAN  # noqa: PLW0603 - Locust instantiates the user class itself: the plan is module state
    plan = Plan(
        config["api"],
        config["region"],
        config["samples"],
        int(config["documents"]),
        float(config["poll_seconds"]),
        float(config["document_timeout"]),
        config.get("callback_url", ""),
    )
    PLAN = plan
    environment = Environment(user_classes=[DocumentClient], host=plan.api.rstrip("/"), catch_exceptions=True)
    runner = environment.create_local_runner()
    concurrency = int(config["concurrency"])
    runner.start(concurrency, spawn_rate=concurrency)
    deadline = time.monotonic() + float(config["time_limit"])
    while len(plan.finished) < plan.count and time.monotonic() < deadline:
        time.sleep(0.2)
    runner.quit()
    for sample, started, document_id in plan.in_flight.values():  # the time limit cut these
        cut = DocumentRun(sample["sample"], sample["expected"], "TIMEOUT", started, plan.now(), document_id)
        plan.finished.append(replace(cut, error="the run's time limit"))
    ends = [d.ended for d in plan.finished]
    errors = [f"{error.error}: {error.occurrences}" for error in environment.stats.errors.values()][:10]
    return {
        "documents": [asdict(d) for d in sorted(plan.finished, key=lambda d: d.started)],
        "requests": [asdict(r) for r in _stats(environment)],
        "elapsed": max(ends, default=0.0),
        "locust_version": locust.__version__,
        "target": plan.api,
        "errors": errors,
    }


def main(argv: list[str]) -> int:
    config_path, result_path = Path(argv[0]), Path(argv[1])
    result = swarm(json.loads(config_path.read_text(encoding="utf-8")))
    result_path.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover - the process idp.load.run starts
    sys.exit(main(sys.argv[1:]))
