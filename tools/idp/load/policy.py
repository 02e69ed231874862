"""What a load test sends and what it must meet: an env's `load` entry in live/environments.hcl.

documents at concurrency (each a user of the swarm: create, upload, poll to a terminal status), and
the thresholds a promotion needs - error rate (documents that did not end as their sample expects,
or whose calls failed), p95 end-to-end seconds (create -> terminal status seen by polling) and
throughput (documents finished per minute). timeout_minutes bounds the whole run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

# The local stack is one process on a laptop: `idp load --local` stays small and short.
LOCAL_MAX_DOCUMENTS = 200
LOCAL_MAX_CONCURRENCY = 20
LOCAL_MAX_MINUTES = 10.0
FIELDS = (
    "documents",
    "concurrency",
    "max_error_rate_percent",
    "max_p95_seconds",
    "min_documents_per_minute",
    "timeout_minutes",
)
EXAMPLE = (
    "load = { documents = 50, concurrency = 5, max_error_rate_percent = 2, max_p95_seconds = 120, "
    "min_documents_per_minute = 10, timeout_minutes = 15 }"
)


class LoadPolicyError(ValueError):
    """A load entry that cannot be run: what is wrong, where, and an example."""


@dataclass(frozen=True)
class LoadPolicy:
    documents: int
    concurrency: int
    max_error_rate_percent: float
    max_p95_seconds: float
    min_documents_per_minute: float
    timeout_minutes: float

    @classmethod
    def from_data(cls, raw: object, where: str) -> LoadPolicy:
        if not isinstance(raw, Mapping):
            raise LoadPolicyError(f"{where}: load must be an object, e.g. {EXAMPLE}")
        missing = [name for name in FIELDS if name not in raw]
        unknown = sorted(set(raw) - set(FIELDS))
        if missing or unknown:
            said = f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(unknown)}"
            raise LoadPolicyError(f"{where}: load is {said}; e.g. {EXAMPLE}")
        values = {name: raw[name] for name in FIELDS}
        for name, value in values.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise LoadPolicyError(f"{where}: load.{name} must be a number >= 0, not {value!r}")
        for name in ("documents", "concurrency"):
            if not isinstance(values[name], int) or values[name] < 1:
                raise LoadPolicyError(f"{where}: load.{name} must be a whole number >= 1, not {values[name]!r}")
        if values["concurrency"] > values["documents"]:
            raise LoadPolicyError(f"{where}: load.concurrency ({values['concurrency']}) exceeds documents")
        if values["max_error_rate_percent"] > 100:
            raise LoadPolicyError(f"{where}: load.max_error_rate_percent is a percentage (0-100)")
        if values["timeout_minutes"] <= 0 or values["max_p95_seconds"] <= 0:
            raise LoadPolicyError(f"{where}: load.timeout_minutes and load.max_p95_seconds must be > 0")
        return cls(
            int(values["documents"]),
            int(values["concurrency"]),
            float(values["max_error_rate_percent"]),
            float(values["max_p95_seconds"]),
            float(values["min_documents_per_minute"]),
            float(values["timeout_minutes"]),
        )

    def bounded_for_local(self) -> LoadPolicy:
        """The same test within the local stack's bounds (a local run is never a real env's size)."""
        outside = (
            self.documents > LOCAL_MAX_DOCUMENTS
            or self.concurrency > LOCAL_MAX_CONCURRENCY
            or self.timeout_minutes > LOCAL_MAX_MINUTES
        )
        if outside:
            raise LoadPolicyError(
                f"a local load test is bounded: at most {LOCAL_MAX_DOCUMENTS} documents, concurrency "
                f"{LOCAL_MAX_CONCURRENCY}, {LOCAL_MAX_MINUTES:g} minutes (asked {self.documents}, "
                f"{self.concurrency}, {self.timeout_minutes:g})"
            )
        return self

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        return (
            f"{self.documents} documents at concurrency {self.concurrency}; promotes when errors <= "
            f"{self.max_error_rate_percent:g} %, p95 <= {self.max_p95_seconds:g} s, throughput >= "
            f"{self.min_documents_per_minute:g}/min (timeout {self.timeout_minutes:g} min)"
        )
