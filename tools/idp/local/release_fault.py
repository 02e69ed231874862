"""The demo's bad-release fault: a new version of one function that fails part of its invocations
takes a canary's share of the traffic through the real controller (idp.traffic, as the deploy job
runs it); the alarm the local evaluator raises (idp.local.alarms) must stop the shift and send all
traffic back to the previous version, with no Terraform apply, while documents keep flowing.

The new version is published the way the apply publishes one - a configuration change, then
PublishVersion - and the router fails `FAILING_SHARE` of the invocations that Lambda's weighted
routing sends to it (idp.local.lambda_router), as a transient error the state machine retries."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from idp.traffic import ALIAS, ShiftPolicy, ShiftRecord, TrafficShift, weights_of

RELEASE_FUNCTION = "language_detector"
FAILING_SHARE = 0.5
# The canary's share and hold, compressed for the local run (test: 10 % for 5 min; prod: linear).
LOCAL_POLICY = ShiftPolicy("canary", percent=50, every_minutes=0.5, bake_minutes=0)


@dataclass
class ReleaseFault:
    function: str
    previous: str
    bad: str
    record: ShiftRecord | None = None
    error: BaseException | None = None
    alias_after: tuple[str, dict[str, float]] | None = None
    bad_invocations: int = 0


class BadRelease:
    """Publishes the bad version, runs the shift in the background while the demo sends documents."""

    def __init__(self, stack: Any) -> None:
        self.stack = stack
        self.lambda_client = stack.client("lambda")
        self.cloudwatch = stack.client("cloudwatch")
        self.names = stack.built.names
        self.function = stack.built.functions[RELEASE_FUNCTION].name
        self._thread: threading.Thread | None = None
        self.fault: ReleaseFault | None = None
        self._description = ""

    def shift(self) -> TrafficShift:
        functions = [f.name for f in self.stack.built.functions.values()]
        return TrafficShift(
            self.lambda_client,
            self.cloudwatch,
            functions,
            f"{self.names.prefix}-",
            environment="local",
            poll_seconds=0.5,
        )

    def wait_until_calm(self, seconds: float) -> list[str]:
        """Until no alarm of the stack is in ALARM (the earlier faults' errors age out of the window)."""
        deadline = time.monotonic() + seconds
        controller = self.shift()
        while time.monotonic() < deadline:
            alarming = controller.alarming()
            if not alarming:
                return []
            time.sleep(0.5)
        return [a["AlarmName"] for a in controller.alarming()]

    def publish(self) -> ReleaseFault:
        previous = self.lambda_client.get_alias(FunctionName=self.function, Name=ALIAS)["FunctionVersion"]
        self._description = self.lambda_client.get_function_configuration(FunctionName=self.function).get(
            "Description", ""
        )
        self.lambda_client.update_function_configuration(
            FunctionName=self.function, Description="bad-release fault: fails half of its invocations"
        )
        bad = self.lambda_client.publish_version(FunctionName=self.function)["Version"]
        self.stack.router.mark_bad(self.function, bad, FAILING_SHARE)
        self.fault = ReleaseFault(self.function, previous, bad)
        return self.fault

    def start(self) -> None:
        fault = self.fault
        if fault is None:
            raise RuntimeError("publish the bad version first")

        def run() -> None:
            try:
                fault.record = self.shift().run(LOCAL_POLICY)
            except BaseException as exc:
                fault.error = exc

        self._thread = threading.Thread(target=run, name="bad-release-shift", daemon=True)
        self._thread.start()

    def finish(self, timeout: float) -> ReleaseFault:
        fault = self.fault
        if fault is None or self._thread is None:
            raise RuntimeError("the bad release was never started")
        self._thread.join(timeout)
        alias = self.lambda_client.get_alias(FunctionName=self.function, Name=ALIAS)
        fault.alias_after = (alias["FunctionVersion"], weights_of(alias))
        fault.bad_invocations = sum(
            1 for name, version, _ in self.stack.router.executed if name == self.function and version == fault.bad
        )
        self.stack.router.clear_bad()
        # The configuration as Terraform left it (a later plan on this stack must find no change).
        self.lambda_client.update_function_configuration(FunctionName=self.function, Description=self._description)
        return fault

    def verdict(self, fault: ReleaseFault) -> tuple[bool, str]:
        record = fault.record
        if fault.error is not None:
            return False, f"the shift failed: {fault.error}"
        if record is None:
            return False, "the shift did not end in time"
        back = fault.alias_after == (fault.previous, {})
        ok = record.outcome == "rolled back" and back and fault.bad_invocations > 0 and record.trip is not None
        seconds = record.seconds_to_return
        alarm = f"{self.names.prefix}-{RELEASE_FUNCTION}-error-rate"
        fired = any(name == alarm and state == "ALARM" for name, state, _ in self.stack.alarms.changes)
        detail = (
            f"version {fault.bad} took {LOCAL_POLICY.percent} % ({fault.bad_invocations} invocations); "
            f"{record.trip.source if record.trip else 'nothing'} stopped it; all traffic back on version "
            f"{fault.alias_after[0] if fault.alias_after else '?'}"
            + (f" {seconds:g} s after it" if seconds is not None else "")
            + f" (outcome: {record.outcome}); its alarm {alarm} {'fired' if fired else 'did not fire'}"
        )
        return ok and fired, detail
