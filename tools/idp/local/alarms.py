"""CloudWatch alarm evaluation for the local run: moto stores alarms and metric data, and never
evaluates an alarm (every alarm stays in the state it was created or set in).

Built from CloudWatch's documentation of alarm evaluation
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html: a
datapoint per period from the metric's statistic or the math expression's result; ALARM when
`datapoints_to_alarm` of the last `evaluation_periods` breach; missing data treated as the alarm's
`treat_missing_data` says) and of metric math
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html: `IF`,
arithmetic, comparisons; a division by zero yields no value). Tested against those rules in
tests/tools/test_local_alarms.py.

Not reproduced: periods are the local run's `window` (seconds) instead of the alarm's own (minutes),
sliding rather than aligned to the clock, with no delay; math functions other than `IF`; anomaly
detection and composite alarms (refused: `UnsupportedAlarm`); alarm actions (no SNS publish).
"""

from __future__ import annotations

import ast
import operator
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from moto.cloudwatch.models import cloudwatch_backends
from moto.core.utils import utcnow

from idp.percentile import nearest_rank

Value = float | None
COMPARE = {  # operator -> (test, the words CloudWatch's state reason uses)
    "GreaterThanThreshold": (operator.gt, "greater than"),
    "GreaterThanOrEqualToThreshold": (operator.ge, "greater than or equal to"),
    "LessThanThreshold": (operator.lt, "less than"),
    "LessThanOrEqualToThreshold": (operator.le, "less than or equal to"),
}
_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_COMPARE: dict[type[ast.cmpop], Callable[[float, float], bool]] = {
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}


class UnsupportedAlarm(ValueError):
    """An alarm this evaluator cannot evaluate faithfully: it says so rather than leave it OK."""


@dataclass(frozen=True)
class Datum:
    namespace: str
    name: str
    dimensions: frozenset[tuple[str, str]]
    value: float
    at: datetime


def statistic(values: list[float], stat: str) -> Value:
    """One period's value of a statistic (Sum, Average, Minimum, Maximum, SampleCount, pNN)."""
    if not values:
        return None
    simple: dict[str, Callable[[list[float]], float]] = {
        "Sum": sum,
        "Average": lambda v: sum(v) / len(v),
        "Minimum": min,
        "Maximum": max,
        "SampleCount": lambda v: float(len(v)),
    }
    if stat in simple:
        return float(simple[stat](values))
    if stat.startswith("p"):  # nearest rank, as CloudWatch's percentiles of raw values
        return nearest_rank(values, float(stat[1:]))
    raise UnsupportedAlarm(f"statistic {stat!r}")


def evaluate_expression(expression: str, values: Mapping[str, Value]) -> Value:
    """Metric math over one period's values: ids, numbers, + - * /, comparisons, IF(c, a, b)."""
    tree = ast.parse(expression.replace("IF(", "_if("), mode="eval")

    def walk(node: ast.AST) -> Value:  # noqa: PLR0911 - one branch per node kind
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        if isinstance(node, ast.Name):
            if node.id not in values:
                raise UnsupportedAlarm(f"{expression!r}: no query with id {node.id!r}")
            return values[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = walk(node.operand)
            return None if inner is None else -inner
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = walk(node.left), walk(node.right)
            if left is None or right is None or (isinstance(node.op, ast.Div) and right == 0):
                return None
            return _BINARY[type(node.op)](left, right)
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
            left, right = walk(node.left), walk(node.comparators[0])
            if left is None or right is None:
                return None
            return 1.0 if _COMPARE[type(node.ops[0])](left, right) else 0.0
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_if":
            if len(node.args) != 3:
                raise UnsupportedAlarm(f"{expression!r}: IF takes three arguments here")
            condition = walk(node.args[0])
            if condition is None:
                return None
            return walk(node.args[1] if condition else node.args[2])
        raise UnsupportedAlarm(f"{expression!r}: {ast.dump(node)[:60]} is beyond this evaluator")

    return walk(tree)


def _matching(data: Iterable[Datum], metric: Mapping[str, Any]) -> list[float]:
    dimensions = frozenset((d["Name"], d["Value"]) for d in metric.get("Dimensions", []))
    return [
        d.value
        for d in data
        if d.namespace == metric["Namespace"] and d.name == metric["MetricName"] and d.dimensions == dimensions
    ]


def datapoint(alarm: Mapping[str, Any], data: list[Datum]) -> Value:
    """The alarm's value over one period's data."""
    if "Metrics" not in alarm or not alarm["Metrics"]:
        metric = {"Namespace": alarm["Namespace"], "MetricName": alarm["MetricName"], "Dimensions": alarm["Dimensions"]}
        return statistic(_matching(data, metric), alarm.get("ExtendedStatistic") or alarm["Statistic"])
    values: dict[str, Value] = {}
    for query in alarm["Metrics"]:
        if "MetricStat" in query:
            stat = query["MetricStat"]
            values[query["Id"]] = statistic(_matching(data, stat["Metric"]), stat["Stat"])
    returned = [q for q in alarm["Metrics"] if q.get("ReturnData", True) and "Expression" in q]
    if len(returned) != 1:
        raise UnsupportedAlarm(f"{alarm['AlarmName']}: one expression must return the data")
    return evaluate_expression(returned[0]["Expression"], values)


def decide(alarm: Mapping[str, Any], points: list[Value]) -> tuple[str, str] | None:
    """(new state, reason) from the newest-first datapoints of the evaluation range; None: keep the state."""
    if alarm["ComparisonOperator"] not in COMPARE:
        raise UnsupportedAlarm(f"{alarm['AlarmName']}: {alarm['ComparisonOperator']}")
    compare, word = COMPARE[alarm["ComparisonOperator"]]
    threshold, missing = float(alarm["Threshold"]), alarm.get("TreatMissingData", "missing")
    needed = int(alarm.get("DatapointsToAlarm") or alarm["EvaluationPeriods"])
    present = [p for p in points if p is not None]
    if not present:
        if missing == "breaching":
            return "ALARM", "Threshold Crossed: no datapoints were received (treated as breaching)."
        if missing == "notBreaching":
            return "OK", "Threshold Crossed: no datapoints were received (treated as not breaching)."
        return None
    breaching = [p for p in present if compare(p, threshold)]
    if missing == "breaching":
        breaching += [threshold] * (len(points) - len(present))
    shown = ", ".join(f"{p:g}" for p in present)
    if len(breaching) >= needed:
        return "ALARM", f"Threshold Crossed: datapoints [{shown}] were {word} the threshold ({threshold:g})."
    return "OK", f"Threshold Crossed: datapoints [{shown}] were not {word} the threshold ({threshold:g})."


class LocalAlarms:
    """Evaluates every metric alarm of the embedded account every `every` seconds over periods of
    `window` seconds and sets its state through CloudWatch's own SetAlarmState (so the state, its
    reason and its timestamp read back as AWS gives them)."""

    def __init__(self, cloudwatch: Any, account_id: str, region: str, *, window: float, every: float = 0.5) -> None:
        self.cloudwatch = cloudwatch
        self.account_id = account_id
        self.region = region
        self.window = window
        self.every = every
        self.changes: list[tuple[str, str, datetime]] = []  # (alarm, new state, when)
        self.unsupported: dict[str, str] = {}  # alarm -> why this evaluator cannot evaluate it (reported)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _alarms(self) -> list[dict[str, Any]]:
        pages = self.cloudwatch.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"])
        return [alarm for page in pages for alarm in page["MetricAlarms"]]

    def _recent(self, since: datetime) -> list[Datum]:
        """The metric data newer than `since` (moto appends in arrival order: read from the end)."""
        stored = cloudwatch_backends[self.account_id][self.region].metric_data
        recent: list[Datum] = []
        for item in reversed(list(stored)):
            if item.timestamp < since:
                break
            if hasattr(item, "value"):
                dims = frozenset((str(d.name), str(d.value)) for d in item.dimensions)
                recent.append(Datum(item.namespace, item.name, dims, float(item.value), item.timestamp))
        return recent

    def evaluate(self) -> list[tuple[str, str]]:
        """One pass: each alarm's last evaluation range; the alarms whose state changed."""
        now = utcnow()
        alarms = self._alarms()
        periods = max((int(a["EvaluationPeriods"]) for a in alarms), default=1)
        data = self._recent(now - timedelta(seconds=self.window * periods))
        changed = []
        for alarm in alarms:
            if alarm["AlarmName"] in self.unsupported:
                continue
            try:
                decision = decide(alarm, self._points(alarm, data, now))
            except UnsupportedAlarm as exc:
                self.unsupported[alarm["AlarmName"]] = str(exc)
                continue
            if decision is None or decision[0] == alarm["StateValue"]:
                continue
            state, reason = decision
            self.cloudwatch.set_alarm_state(AlarmName=alarm["AlarmName"], StateValue=state, StateReason=reason)
            self.changes.append((alarm["AlarmName"], state, now))
            changed.append((alarm["AlarmName"], state))
        return changed

    def _points(self, alarm: Mapping[str, Any], data: list[Datum], now: datetime) -> list[Value]:
        """The alarm's datapoints, newest first, one per period of the evaluation range."""
        points = []
        for index in range(int(alarm["EvaluationPeriods"])):
            end = now - timedelta(seconds=self.window * index)
            start = end - timedelta(seconds=self.window)
            points.append(datapoint(alarm, [d for d in data if start <= d.at < end or (index == 0 and d.at >= end)]))
        return points

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            self.evaluate()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="local-alarms", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
