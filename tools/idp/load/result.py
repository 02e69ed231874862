"""What a load test measured, whether it meets the env's thresholds, and the job summary with charts.

The swarm (idp.load.swarm) writes one record per document and Locust's statistics per request; this
module is pure: it computes the figures, judges them against the policy and renders Markdown whose
charts are Mermaid `xychart-beta` blocks (GitHub renders Mermaid in job summaries).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from idp.load.policy import LoadPolicy
from idp.percentile import nearest_rank as percentile

API_PATHS = {"/documents", "/documents/{id}"}  # the swarm's names of its API requests
BUCKETS = 12  # chart columns: the run's span cut in this many intervals


@dataclass(frozen=True)
class DocumentRun:
    sample: str
    expected: str
    status: str  # the terminal status seen, or what stopped it (e.g. TIMEOUT, HTTP 500)
    started: float  # seconds since the swarm started
    ended: float
    document_id: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and self.status == self.expected

    @property
    def seconds(self) -> float:
        return self.ended - self.started


@dataclass(frozen=True)
class RequestStats:
    name: str
    requests: int
    failures: int
    p50_ms: float
    p95_ms: float
    max_ms: float


@dataclass(frozen=True)
class Breach:
    threshold: str
    measured: str
    allowed: str

    def line(self) -> str:
        return f"{self.threshold}: {self.measured} (allowed {self.allowed})"


@dataclass
class LoadResult:
    documents: list[DocumentRun]
    requests: list[RequestStats] = field(default_factory=list)
    elapsed: float = 0.0  # the swarm's wall clock, first create to last terminal status
    locust_version: str = ""
    target: str = ""
    errors: list[str] = field(default_factory=list)  # Locust's error list: what failed, how often

    @classmethod
    def from_data(cls, raw: dict[str, Any]) -> LoadResult:
        return cls(
            [DocumentRun(**d) for d in raw.get("documents", [])],
            [RequestStats(**r) for r in raw.get("requests", [])],
            float(raw.get("elapsed", 0.0)),
            str(raw.get("locust_version", "")),
            str(raw.get("target", "")),
            [str(e) for e in raw.get("errors", [])],
        )

    @property
    def failed(self) -> list[DocumentRun]:
        return [d for d in self.documents if not d.ok]

    @property
    def error_rate_percent(self) -> float:
        return 100.0 * len(self.failed) / len(self.documents) if self.documents else 100.0

    def p95_seconds(self) -> float:
        return percentile([d.seconds for d in self.documents if d.ok], 95)

    def p50_seconds(self) -> float:
        return percentile([d.seconds for d in self.documents if d.ok], 50)

    @property
    def per_minute(self) -> float:
        finished = [d for d in self.documents if d.ok]
        return 60.0 * len(finished) / self.elapsed if self.elapsed > 0 else 0.0

    def api_calls_answered(self) -> int:
        """API requests that got an answer from the API's function (Locust's count, less its failures:
        a refused signature never reaches the function; a 4xx from it does, a lower bound)."""
        return sum(r.requests - r.failures for r in self.requests if r.name.split(" ", 1)[-1] in API_PATHS)

    def breaches(self, policy: LoadPolicy) -> list[Breach]:
        found = []
        if len(self.documents) < policy.documents:
            found.append(Breach("documents", f"{len(self.documents)} ran", f"{policy.documents}"))
        if self.error_rate_percent > policy.max_error_rate_percent:
            found.append(
                Breach(
                    "error rate",
                    f"{self.error_rate_percent:.1f} % ({len(self.failed)} of {len(self.documents)})",
                    f"<= {policy.max_error_rate_percent:g} %",
                )
            )
        p95 = self.p95_seconds()
        if math.isnan(p95) or p95 > policy.max_p95_seconds:
            measured = "no document finished" if math.isnan(p95) else f"{p95:.1f} s"
            found.append(Breach("p95 end-to-end", measured, f"<= {policy.max_p95_seconds:g} s"))
        if self.per_minute < policy.min_documents_per_minute:
            found.append(
                Breach("throughput", f"{self.per_minute:.1f}/min", f">= {policy.min_documents_per_minute:g}/min")
            )
        return found

    def figures(self) -> dict[str, Any]:
        return {
            "documents": len(self.documents),
            "failed": len(self.failed),
            "error_rate_percent": round(self.error_rate_percent, 2),
            "p50_seconds": _rounded(self.p50_seconds()),
            "p95_seconds": _rounded(self.p95_seconds()),
            "per_minute": round(self.per_minute, 2),
            "elapsed_seconds": round(self.elapsed, 1),
        }


def _rounded(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 2)


def _buckets(result: LoadResult) -> tuple[float, list[list[DocumentRun]]]:
    span = max((d.ended for d in result.documents), default=0.0)
    width = max(span / BUCKETS, 1.0)
    columns: list[list[DocumentRun]] = [[] for _ in range(BUCKETS)]
    for doc in result.documents:
        columns[min(int(doc.ended // width), BUCKETS - 1)].append(doc)
    return width, columns


def _axis(width: float) -> str:
    """Each interval's end, in seconds (tenths while the intervals are short enough to need them)."""
    digits = 0 if width >= 5 else 1
    return ", ".join(f'"{(i + 1) * width:.{digits}f}"' for i in range(BUCKETS))


def _series(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:.1f}".rstrip("0").rstrip(".") if v else "0" for v in values) + "]"


def charts(result: LoadResult) -> str:
    """Two Mermaid xycharts: documents finished (ok / failed) per interval, and p50/p95 end-to-end
    seconds of the documents finished in each interval."""
    width, columns = _buckets(result)
    done = [float(sum(d.ok for d in column)) for column in columns]
    failed = [float(sum(not d.ok for d in column)) for column in columns]
    top = max([*done, *failed, 1.0])
    p50 = [_zero(percentile([d.seconds for d in c if d.ok], 50)) for c in columns]
    p95 = [_zero(percentile([d.seconds for d in c if d.ok], 95)) for c in columns]
    slowest = max([*p95, 1.0])
    return "\n".join(
        [
            "```mermaid",
            "xychart-beta",
            '    title "Documents finished per interval (bars: ok, line: failed)"',
            f'    x-axis "seconds since start" [{_axis(width)}]',
            f'    y-axis "documents" 0 --> {math.ceil(top)}',
            f"    bar {_series(done)}",
            f"    line {_series(failed)}",
            "```",
            "",
            "```mermaid",
            "xychart-beta",
            '    title "End-to-end seconds, create to terminal status (p50, p95)"',
            f'    x-axis "seconds since start" [{_axis(width)}]',
            f'    y-axis "seconds" 0 --> {math.ceil(slowest)}',
            f"    line {_series(p50)}",
            f"    line {_series(p95)}",
            "```",
        ]
    )


def _zero(value: float) -> float:
    return 0.0 if math.isnan(value) else value


def markdown(result: LoadResult, policy: LoadPolicy, where: str, cost: str = "") -> str:
    breaches = result.breaches(policy)
    verdict = "**passed** - the promotion goes on" if not breaches else "**breached** - the promotion stops"
    figures = result.figures()
    lines = [
        f"### Load test of {where}: {verdict}",
        "",
        f"{policy.describe()}.",
        "",
        "| measure | measured | threshold |",
        "|---|---|---|",
        f"| documents | {figures['documents']} ({figures['failed']} failed) | {policy.documents} |",
        f"| error rate | {figures['error_rate_percent']} % | <= {policy.max_error_rate_percent:g} % |",
        f"| p95 end-to-end | {_shown(figures['p95_seconds'])} | <= {policy.max_p95_seconds:g} s |",
        f"| p50 end-to-end | {_shown(figures['p50_seconds'])} | |",
        f"| throughput | {figures['per_minute']}/min over {figures['elapsed_seconds']} s "
        f"| >= {policy.min_documents_per_minute:g}/min |",
        "",
    ]
    if breaches:
        lines += ["Breached:", *[f"- {b.line()}" for b in breaches], ""]
    failures = result.failed[:10]
    if failures:
        lines += ["| failed document | expected | ended as |", "|---|---|---|"]
        lines += [f"| {d.sample} `{d.document_id or '-'}` | {d.expected} | {d.error or d.status} |" for d in failures]
        lines.append("")
    lines += [charts(result), ""]
    if result.requests:
        lines += ["| request (Locust) | count | failures | p50 ms | p95 ms | max ms |", "|---|---|---|---|---|---|"]
        lines += [
            f"| {r.name} | {r.requests} | {r.failures} | {r.p50_ms:.0f} | {r.p95_ms:.0f} | {r.max_ms:.0f} |"
            for r in result.requests
        ]
        lines.append("")
    if cost:
        lines += [cost, ""]
    return "\n".join(lines)


def _shown(seconds: float | None) -> str:
    return "no document finished" if seconds is None else f"{seconds} s"
