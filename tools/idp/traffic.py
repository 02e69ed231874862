"""Traffic shifting between each function's versions behind its `live` alias, stopped and returned by
alarms (docs/adr/0004-traffic-shifting.md).

Terraform publishes a version per change and never moves the alias after creating it (compute's
`ignore_changes`); this controller moves it: every function with a newer published version than its
alias shifts together, step by step (Lambda's weighted alias: `RoutingConfig.AdditionalVersionWeights`),
while it watches the env's alarms and the new versions' own error rate. An alarm in ALARM, or a new
version failing above the threshold, returns all traffic to the previous versions at once - one
UpdateAlias per function, no Terraform apply. The record says what happened and when.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

ALIAS = "live"
KINDS = ("all-at-once", "canary", "linear")
PREVIOUS = "previous version: "  # the alias description's marker: what a manual rollback returns to


class TrafficError(ValueError):
    """A policy that cannot be right, or a state the controller will not shift from."""


@dataclass(frozen=True)
class ShiftPolicy:
    """How an env moves traffic to a new version (live/environments.hcl, `traffic`).

    all-at-once: 100 % at once, then the bake. canary: `percent` for `every_minutes`, then 100 %.
    linear: `percent` more every `every_minutes` until 100 %. Then `bake_minutes` watching the alarms."""

    shift: str
    percent: int = 100
    every_minutes: float = 0
    bake_minutes: float = 0

    @classmethod
    def from_data(cls, raw: object, where: str) -> ShiftPolicy:
        if not isinstance(raw, Mapping):
            raise TrafficError(f'{where}: traffic must be an object, e.g. {{ shift = "canary", percent = 10, ... }}')
        kind = raw.get("shift")
        if kind not in KINDS:
            raise TrafficError(f"{where}: traffic.shift is {kind!r}; one of {', '.join(KINDS)}")
        percent, every, bake = raw.get("percent", 100), raw.get("every_minutes", 0), raw.get("bake_minutes", 0)
        numbers = {"percent": percent, "every_minutes": every, "bake_minutes": bake}
        for key, value in numbers.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise TrafficError(f"{where}: traffic.{key} must be a number >= 0, not {value!r}")
        if kind != "all-at-once" and not (isinstance(percent, int) and 1 <= percent <= 99):
            raise TrafficError(f"{where}: traffic.percent must be a whole number 1-99 for a {kind} shift")
        if kind != "all-at-once" and every <= 0:
            raise TrafficError(f"{where}: traffic.every_minutes must be > 0 for a {kind} shift")
        return cls(str(kind), int(percent), float(every), float(bake))

    def steps(self) -> list[int]:
        """The percentages the new versions take before 100 %, each held `every_minutes`."""
        if self.shift == "canary":
            return [self.percent]
        if self.shift == "linear":
            return list(range(self.percent, 100, self.percent))
        return []

    def describe(self) -> str:
        if self.shift == "all-at-once":
            return f"all at once, then {self.bake_minutes:g} min watching the alarms"
        steps = " -> ".join(f"{p} %" for p in [*self.steps(), 100])
        return f"{self.shift}: {steps}, {self.every_minutes:g} min each, then {self.bake_minutes:g} min watching"


@dataclass(frozen=True)
class Move:
    function: str
    from_version: str
    to_version: str


@dataclass(frozen=True)
class Trip:
    """Why the shift stopped: an alarm (its name, reason, when it fired) or a new version's errors."""

    source: str
    reason: str
    at: datetime


@dataclass
class ShiftRecord:
    environment: str
    policy: str
    moves: list[Move] = field(default_factory=list)
    steps: list[tuple[str, int]] = field(default_factory=list)  # (when, percent to the new versions)
    notes: list[str] = field(default_factory=list)
    outcome: str = "nothing to shift"  # promoted | rolled back | refused | nothing to shift
    trip: Trip | None = None
    returned_at: datetime | None = None

    @property
    def seconds_to_return(self) -> float | None:
        """From the alarm (or the errors' detection) to all traffic back on the previous versions."""
        if self.trip is None or self.returned_at is None:
            return None
        return round((self.returned_at - self.trip.at).total_seconds(), 2)

    @property
    def ok(self) -> bool:
        return self.outcome in {"promoted", "nothing to shift"}

    def to_json(self) -> str:
        data = asdict(self)
        data["seconds_to_return"] = self.seconds_to_return
        return json.dumps(data, default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v), indent=2)

    def markdown(self) -> str:
        lines = [f"### Traffic shift - {self.environment}: {self.outcome}", "", f"Policy: {self.policy}.", ""]
        if self.moves:
            lines += ["| function | from | to |", "|---|---|---|"]
            lines += [f"| `{m.function}` | {m.from_version} | {m.to_version} |" for m in self.moves]
            lines.append("")
        if self.steps:
            lines.append("Steps: " + ", ".join(f"{p} % at {when}" for when, p in self.steps) + ".")
        if self.trip is not None:
            lines += ["", f"**Stopped by {self.trip.source}**: {self.trip.reason}"]
            if self.seconds_to_return is not None:
                lines.append(
                    f"All traffic back on the previous versions {self.seconds_to_return:g} s after it "
                    "(no Terraform apply)."
                )
        lines += [f"- {note}" for note in self.notes]
        return "\n".join(lines) + "\n"


def latest_version(lambda_client: Any, function: str) -> str:
    """The highest published version ($LATEST is never a target)."""
    pages = lambda_client.get_paginator("list_versions_by_function").paginate(FunctionName=function)
    numbers = [int(v["Version"]) for page in pages for v in page["Versions"] if v["Version"].isdigit()]
    if not numbers:
        raise TrafficError(f"{function} has no published version: compute publishes one per change")
    return str(max(numbers))


def weights_of(alias: Mapping[str, Any]) -> dict[str, float]:
    """An alias's additional versions and their weights (GetAlias/UpdateAlias answer); {}: unweighted."""
    weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    return {str(version): float(weight) for version, weight in weights.items()}


def _described(previous: str) -> str:
    return f"The version every caller invokes; {PREVIOUS}{previous}"


def _previous(description: str) -> str | None:
    if PREVIOUS in description:
        return description.split(PREVIOUS, 1)[1].split(maxsplit=1)[0].strip(".,;")
    return None


class TrafficShift:
    """Moves the `live` alias of `functions` (full names) to their newest versions under `policy`,
    watching the alarms whose names start with `alarm_prefix`."""

    def __init__(
        self,
        lambda_client: Any,
        cloudwatch: Any,
        functions: Sequence[str],
        alarm_prefix: str,
        *,
        environment: str,
        poll_seconds: float = 10.0,
        error_percent: float = 10.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.lambda_client = lambda_client
        self.cloudwatch = cloudwatch
        self.functions = list(functions)
        self.alarm_prefix = alarm_prefix
        self.environment = environment
        self.poll_seconds = poll_seconds
        self.error_percent = error_percent
        self.clock = clock
        self.sleep = sleep

    # --- what the alias says ---
    def _alias(self, function: str) -> dict[str, Any]:
        return dict(self.lambda_client.get_alias(FunctionName=function, Name=ALIAS))

    def _route(self, function: str, primary: str, weights: Mapping[str, float], description: str | None = None) -> None:
        extra = {} if description is None else {"Description": description}
        self.lambda_client.update_alias(
            FunctionName=function,
            Name=ALIAS,
            FunctionVersion=primary,
            RoutingConfig={"AdditionalVersionWeights": dict(weights)},
            **extra,
        )

    def pending(self, record: ShiftRecord) -> list[Move]:
        """Each function whose newest version is not what its alias serves; an interrupted shift (the
        alias still weighted) is first returned to its primary version."""
        moves = []
        for function in self.functions:
            alias = self._alias(function)
            weights = weights_of(alias)
            if weights:
                self._route(function, alias["FunctionVersion"], {})
                record.notes.append(
                    f"{function}: an earlier shift was left at {weights}; all traffic returned to version "
                    f"{alias['FunctionVersion']} before this one"
                )
            target = latest_version(self.lambda_client, function)
            if target != alias["FunctionVersion"]:
                moves.append(Move(function, alias["FunctionVersion"], target))
        return moves

    # --- what stops a shift ---
    def alarming(self) -> list[dict[str, Any]]:
        pages = self.cloudwatch.get_paginator("describe_alarms").paginate(
            AlarmNamePrefix=self.alarm_prefix, StateValue="ALARM", AlarmTypes=["MetricAlarm", "CompositeAlarm"]
        )
        return [alarm for page in pages for kind in ("MetricAlarms", "CompositeAlarms") for alarm in page.get(kind, [])]

    def _errors_of_new(self, moves: Iterable[Move], since: datetime) -> Trip | None:
        """A new version failing above the threshold since `since` (Lambda's ExecutedVersion metrics of
        a weighted alias): what a function-wide alarm misses while the new version has a small share."""
        moves = list(moves)
        if not moves:
            return None
        queries = []
        for index, move in enumerate(moves):
            dimensions = [
                {"Name": "FunctionName", "Value": move.function},
                {"Name": "Resource", "Value": f"{move.function}:{ALIAS}"},
                {"Name": "ExecutedVersion", "Value": move.to_version},
            ]
            for metric in ("Errors", "Invocations"):
                queries.append(
                    {
                        "Id": f"{metric.lower()}{index}",
                        "MetricStat": {
                            "Metric": {"Namespace": "AWS/Lambda", "MetricName": metric, "Dimensions": dimensions},
                            "Period": 60,
                            "Stat": "Sum",
                        },
                    }
                )
        now = self.clock()
        answer = self.cloudwatch.get_metric_data(
            MetricDataQueries=queries, StartTime=since - timedelta(seconds=60), EndTime=now + timedelta(seconds=60)
        )
        totals = {r["Id"]: sum(r.get("Values", [])) for r in answer["MetricDataResults"]}
        for index, move in enumerate(moves):
            errors, calls = totals.get(f"errors{index}", 0.0), totals.get(f"invocations{index}", 0.0)
            if calls and 100 * errors / calls > self.error_percent:
                reason = (
                    f"version {move.to_version} of {move.function} failed {errors:g} of {calls:g} invocations "
                    f"({100 * errors / calls:.0f} %, above {self.error_percent:g} %)"
                )
                return Trip("the new version's error rate", reason, now)
        return None

    def _watch(self, seconds: float, moves: list[Move], since: datetime) -> Trip | None:
        """Polls until `seconds` have passed; the first alarm or error breach ends it."""
        end = self.clock() + timedelta(seconds=seconds)
        while True:
            alarms = self.alarming()
            if alarms:
                first = min(alarms, key=lambda a: a["StateUpdatedTimestamp"])
                at = first["StateUpdatedTimestamp"]
                at = at if at.tzinfo else at.replace(tzinfo=UTC)
                return Trip(f"alarm {first['AlarmName']}", str(first.get("StateReason", "")), at)
            trip = self._errors_of_new(moves, since)
            if trip is not None or self.clock() >= end:
                return trip
            self.sleep(min(self.poll_seconds, max(0.0, (end - self.clock()).total_seconds())))

    def _stamp(self) -> str:
        return self.clock().strftime("%H:%M:%S")

    def _return(self, record: ShiftRecord, trip: Trip) -> ShiftRecord:
        for move in record.moves:
            self._route(move.function, move.from_version, {})
        record.returned_at = self.clock()
        record.trip = trip
        record.outcome = "rolled back"
        return record

    # --- the shift ---
    def run(self, policy: ShiftPolicy, *, watch: bool = True) -> ShiftRecord:
        """watch=False: a rollback's restored release (known good) takes all traffic whatever alarms
        the failed release left firing."""
        record = ShiftRecord(self.environment, policy.describe() if watch else "all at once (restored release)")
        if not watch:
            record.moves = self.pending(record)
            for move in record.moves:
                self._route(move.function, move.to_version, {}, _described(move.from_version))
            record.outcome = "promoted" if record.moves else record.outcome
            return record
        already = self.alarming()
        if already:
            names = ", ".join(a["AlarmName"] for a in already)
            record.outcome = "refused"
            record.notes.append(
                f"alarms already in ALARM before the shift: {names} - a release is not judged against an env "
                "that is already failing; fix what they report (or wait for OK), then run the deploy again"
            )
            return record
        record.moves = self.pending(record)
        if not record.moves:
            return record
        started = self.clock()
        for percent in policy.steps():
            for move in record.moves:
                self._route(move.function, move.from_version, {move.to_version: percent / 100})
            record.steps.append((self._stamp(), percent))
            trip = self._watch(policy.every_minutes * 60, record.moves, started)
            if trip is not None:
                return self._return(record, trip)
        for move in record.moves:
            self._route(move.function, move.to_version, {}, _described(move.from_version))
        record.steps.append((self._stamp(), 100))
        trip = self._watch(policy.bake_minutes * 60, record.moves, started)
        if trip is not None:
            return self._return(record, trip)
        record.outcome = "promoted"
        return record

    def rollback(self) -> ShiftRecord:
        """By hand: each function's alias back to the version before the last shift (its description
        names it), or to its primary version when a shift is under way."""
        record = ShiftRecord(self.environment, "manual rollback")
        for function in self.functions:
            alias = self._alias(function)
            weights = weights_of(alias)
            current = alias["FunctionVersion"]
            if weights:
                record.moves.append(Move(function, f"{current} + {','.join(weights)}", current))
                self._route(function, current, {})
                continue
            previous = _previous(alias.get("Description") or "")
            if previous is None or previous == current:
                record.notes.append(f"{function}: no earlier version recorded on its alias; left on {current}")
                continue
            record.moves.append(Move(function, current, previous))
            self._route(function, previous, {}, _described(current))
        record.outcome = "rolled back" if record.moves else "nothing to shift"
        record.returned_at = self.clock()
        return record
