"""`idp traffic`: the shift of each function's `live` alias to its newest version, and its return, on
the embedded AWS (Lambda's alias API, CloudWatch's alarms and metrics). The clock is the test's: a
sleep moves it, and what the test does at a given sleep stands for what happens in that time."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from idp.environments import EnvironmentsError, environments
from idp.local.aws_server import LocalAwsServer
from idp.traffic import ALIAS, ShiftPolicy, TrafficError, TrafficShift

REGION = "eu-west-1"
PREFIX = "idp-t-"


class World:
    """Two functions with a live alias on version 1, a newer version 2 of each, the env's alarms."""

    def __init__(self, server: LocalAwsServer) -> None:
        self.sleeps = 0
        self.lam = server.client("lambda", REGION)
        self.cloudwatch = server.client("cloudwatch", REGION)
        role = server.client("iam", REGION).create_role(RoleName="traffic", AssumeRolePolicyDocument="{}")
        package = io.BytesIO()
        with zipfile.ZipFile(package, "w") as archive:
            archive.writestr("app.py", "")
        self.functions = [f"{PREFIX}{name}" for name in ("classifier", "extractor")]
        for function in self.functions:
            self.lam.create_function(
                FunctionName=function, Runtime="python3.11", Role=role["Role"]["Arn"], Handler="app.handler",
                Code={"ZipFile": package.getvalue()}, Publish=True,
            )  # fmt: skip
            self.lam.create_alias(FunctionName=function, Name=ALIAS, FunctionVersion="1")
            self.release(function)
        for name in ("classifier-error-rate", "dlq-not-empty"):
            self.cloudwatch.put_metric_alarm(
                AlarmName=f"{PREFIX}{name}", Namespace="AWS/Lambda", MetricName="Errors", Statistic="Sum",
                Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold",
            )  # fmt: skip
        self.now = datetime.now(UTC)  # the alarms carry real timestamps
        self.at_sleep: dict[int, Callable[[], None]] = {}

    def release(self, function: str) -> str:
        """What an apply does for a changed function: a configuration change, then a new version."""
        self.lam.update_function_configuration(FunctionName=function, Description=f"release {self.sleeps}")
        return str(self.lam.publish_version(FunctionName=function)["Version"])

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        action = self.at_sleep.get(self.sleeps)
        if action is not None:
            action()
        self.now += timedelta(seconds=seconds)

    def controller(self, functions: list[str] | None = None) -> TrafficShift:
        return TrafficShift(
            self.lam, self.cloudwatch, functions or self.functions, PREFIX, environment="test",
            poll_seconds=10, clock=lambda: self.now, sleep=self.sleep,
        )  # fmt: skip

    def alias(self, function: str) -> tuple[str, dict[str, float]]:
        alias = self.lam.get_alias(FunctionName=function, Name=ALIAS)
        weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        return alias["FunctionVersion"], {k: float(v) for k, v in weights.items()}

    def alarm(self, name: str) -> None:
        self.cloudwatch.set_alarm_state(
            AlarmName=f"{PREFIX}{name}", StateValue="ALARM", StateReason="Threshold Crossed"
        )


@pytest.fixture
def world(embedded_aws: LocalAwsServer) -> World:
    return World(embedded_aws)


def test_the_policies_give_their_steps_and_bad_ones_are_refused() -> None:
    assert ShiftPolicy.from_data({"shift": "linear", "percent": 25, "every_minutes": 1}, "x").steps() == [25, 50, 75]
    assert ShiftPolicy.from_data({"shift": "canary", "percent": 10, "every_minutes": 5}, "x").steps() == [10]
    assert ShiftPolicy.from_data({"shift": "all-at-once"}, "x").steps() == []
    for bad, said in (
        ({"shift": "blue-green"}, "one of all-at-once, canary, linear"),
        ({"shift": "canary", "percent": 100, "every_minutes": 5}, "percent must be a whole number 1-99"),
        ({"shift": "linear", "percent": 10, "every_minutes": 0}, "every_minutes must be > 0"),
        ({"shift": "all-at-once", "bake_minutes": -1}, "bake_minutes must be a number >= 0"),
        ("canary", "traffic must be an object"),
    ):
        with pytest.raises(TrafficError, match=said):
            ShiftPolicy.from_data(bad, "live/environments.hcl: prod")


def test_every_env_of_the_list_has_a_valid_policy_and_a_bad_one_is_named(tmp_path: Any) -> None:
    found = {env.name: env.traffic for env in environments()}
    assert found["prod"].shift == "linear"
    assert found["dev"].shift == "all-at-once"
    (tmp_path / "live" / "dev").mkdir(parents=True)
    (tmp_path / "live" / "dev" / "account.hcl").write_text('locals {\n  environment = "dev"\n}\n')
    (tmp_path / "live" / "environments.hcl").write_text(
        'locals {\n  environments = [{ name = "dev", protected = true, wait_timer = 0,'
        ' traffic = { shift = "canary", percent = 0, every_minutes = 1 } }]\n}\n'
    )
    with pytest.raises(EnvironmentsError, match=r"environments\.hcl: dev: traffic\.percent must be a whole number"):
        environments(tmp_path)


def test_a_linear_shift_moves_every_changed_function_together_and_records_the_previous_version(
    world: World,
) -> None:
    weights: list[dict[str, float]] = []
    world.at_sleep = {1: lambda: weights.append(world.alias(world.functions[0])[1])}
    record = world.controller().run(ShiftPolicy("linear", 50, every_minutes=1, bake_minutes=1))
    assert record.outcome == "promoted", record.markdown()
    assert [(m.from_version, m.to_version) for m in record.moves] == [("1", "2"), ("1", "2")]
    assert weights == [{"2": 0.5}]  # half the traffic on the new version while the first step held
    assert [p for _, p in record.steps] == [50, 100]
    for function in world.functions:
        assert world.alias(function) == ("2", {})
    assert "previous version: 1" in world.lam.get_alias(FunctionName=world.functions[0], Name=ALIAS)["Description"]
    # nothing newer: a second run has nothing to do
    assert world.controller().run(ShiftPolicy("canary", 10, every_minutes=5)).outcome == "nothing to shift"


def test_an_alarm_during_the_canary_returns_all_traffic_without_waiting_out_the_step(world: World) -> None:
    world.at_sleep = {2: lambda: world.alarm("classifier-error-rate")}
    record = world.controller().run(ShiftPolicy("canary", 10, every_minutes=5, bake_minutes=5))
    assert record.outcome == "rolled back"
    assert record.trip is not None
    assert record.trip.source == "alarm idp-t-classifier-error-rate"
    for function in world.functions:
        assert world.alias(function) == ("1", {})  # both, though only one function alarmed
    assert world.sleeps == 2  # seen at the next poll, 10 s later - not after the 5 minutes
    assert record.seconds_to_return is not None
    assert record.seconds_to_return < 60
    assert "Stopped by alarm idp-t-classifier-error-rate" in record.markdown()


def test_an_alarm_in_the_bake_returns_the_previous_versions(world: World) -> None:
    world.at_sleep = {3: lambda: world.alarm("dlq-not-empty")}
    record = world.controller().run(ShiftPolicy("all-at-once", bake_minutes=2))
    assert (record.outcome, [p for _, p in record.steps]) == ("rolled back", [100])
    assert world.alias(world.functions[1]) == ("1", {})


def test_the_new_versions_own_errors_stop_it_below_the_function_wide_alarm(world: World) -> None:
    """Lambda's ExecutedVersion metrics of the weighted alias: 3 of 4 invocations of version 2 failed."""
    function = world.functions[1]

    def failing_canary() -> None:
        dims = [
            {"Name": "FunctionName", "Value": function},
            {"Name": "Resource", "Value": f"{function}:{ALIAS}"},
            {"Name": "ExecutedVersion", "Value": "2"},
        ]
        world.cloudwatch.put_metric_data(
            Namespace="AWS/Lambda",
            MetricData=[
                {"MetricName": "Invocations", "Dimensions": dims, "Value": 4, "Timestamp": world.now},
                {"MetricName": "Errors", "Dimensions": dims, "Value": 3, "Timestamp": world.now},
            ],
        )

    world.at_sleep = {1: failing_canary}
    record = world.controller().run(ShiftPolicy("canary", 10, every_minutes=5))
    assert record.outcome == "rolled back"
    assert record.trip is not None
    assert record.trip.reason.startswith(f"version 2 of {function} failed 3 of 4 invocations (75 %")
    assert world.alias(function) == ("1", {})


def test_no_shift_starts_while_an_alarm_is_in_alarm(world: World) -> None:
    world.alarm("dlq-not-empty")
    record = world.controller().run(ShiftPolicy("canary", 10, every_minutes=5))
    assert record.outcome == "refused"
    assert not record.ok
    assert "idp-t-dlq-not-empty" in record.notes[0]
    assert world.alias(world.functions[0]) == ("1", {})  # nothing moved


def test_an_interrupted_shift_is_returned_first_and_a_manual_rollback_goes_back(world: World) -> None:
    first = world.functions[0]
    world.lam.update_alias(FunctionName=first, Name=ALIAS, RoutingConfig={"AdditionalVersionWeights": {"2": 0.3}})
    record = world.controller([first]).run(ShiftPolicy("all-at-once"))
    assert "an earlier shift was left at" in record.notes[0]
    assert record.outcome == "promoted"
    assert world.alias(first) == ("2", {})
    back = world.controller([first]).rollback()
    assert back.outcome == "rolled back"
    assert world.alias(first) == ("1", {})
    # during a shift, the manual rollback drops the new version's share
    world.release(first)  # version 3

    def by_hand() -> None:
        world.controller([first]).rollback()

    world.at_sleep = {1: by_hand}
    world.controller([first]).run(ShiftPolicy("canary", 10, every_minutes=1))
    assert world.alias(first)[1] == {}
