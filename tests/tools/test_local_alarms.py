"""The local alarm evaluator against CloudWatch's documented rules (idp.local.alarms cites them):
statistics, metric math, missing data, M of N - and on the embedded AWS, an alarm shaped as
modules/monitoring makes it going to ALARM from the metrics Lambda records, and back to OK."""

from __future__ import annotations

import time
from typing import Any

import pytest

from idp.local.alarms import LocalAlarms, UnsupportedAlarm, decide, evaluate_expression, statistic
from idp.local.aws_server import LocalAwsServer

RATE = "IF(invocations > 0, 100 * errors / invocations, 0)"  # modules/monitoring's error rate


def test_statistics_of_one_period() -> None:
    values = [float(v) for v in range(1, 21)]  # 1..20
    assert statistic(values, "Sum") == 210
    assert statistic(values, "Average") == 10.5
    assert statistic(values, "SampleCount") == 20
    assert statistic(values, "p95") == 19  # nearest rank: ceil(0.95 * 20) = 19th
    assert statistic(values, "p50") == 10
    assert statistic([], "Sum") is None  # no data: no datapoint (not zero)
    with pytest.raises(UnsupportedAlarm):
        statistic(values, "TrimmedMean")


def test_metric_math_as_the_error_rate_alarm_uses_it() -> None:
    assert evaluate_expression(RATE, {"errors": 1.0, "invocations": 4.0}) == 25
    assert evaluate_expression(RATE, {"errors": 0.0, "invocations": 0.0}) == 0  # IF guards the division
    assert evaluate_expression("errors / invocations", {"errors": 1.0, "invocations": 0.0}) is None
    assert evaluate_expression(RATE, {"errors": None, "invocations": 4.0}) is None  # a missing operand
    with pytest.raises(UnsupportedAlarm, match="no query with id 'throttles'"):
        evaluate_expression("throttles * 2", {"errors": 1.0})
    with pytest.raises(UnsupportedAlarm, match="beyond this evaluator"):
        evaluate_expression("ANOMALY_DETECTION_BAND(errors)", {"errors": 1.0})


def alarm(**overrides: Any) -> dict[str, Any]:
    base = {
        "AlarmName": "a", "ComparisonOperator": "GreaterThanThreshold", "Threshold": 10.0,
        "EvaluationPeriods": 1, "TreatMissingData": "notBreaching",
    }  # fmt: skip
    return base | overrides


def test_missing_data_and_m_of_n_as_cloudwatch_documents_them() -> None:
    assert decide(alarm(), [25.0])[0] == "ALARM"  # type: ignore[index]
    assert decide(alarm(), [10.0])[0] == "OK"  # type: ignore[index]  # not greater than 10
    assert decide(alarm(), [None])[0] == "OK"  # type: ignore[index]  # notBreaching
    assert decide(alarm(TreatMissingData="breaching"), [None])[0] == "ALARM"  # type: ignore[index]
    assert decide(alarm(TreatMissingData="missing"), [None]) is None  # keeps its state
    three = alarm(EvaluationPeriods=3, DatapointsToAlarm=2)
    assert decide(three, [25.0, 1.0, None])[0] == "OK"  # type: ignore[index]  # 1 of 3 breaching
    assert decide(three, [25.0, 1.0, 30.0])[0] == "ALARM"  # type: ignore[index]  # 2 of 3
    _state, reason = decide(alarm(), [25.0]) or ("", "")
    assert reason == "Threshold Crossed: datapoints [25] were greater than the threshold (10)."


def test_the_error_rate_alarm_fires_on_lambdas_metrics_and_clears_when_they_age_out(
    embedded_aws: LocalAwsServer,
) -> None:
    cloudwatch = embedded_aws.client("cloudwatch", "eu-west-1")
    function = [{"Name": "FunctionName", "Value": "idp-t-f"}]

    def query(metric: str) -> dict[str, Any]:
        stat = {"Metric": {"Namespace": "AWS/Lambda", "MetricName": metric, "Dimensions": function}}
        return {"Id": metric.lower(), "MetricStat": stat | {"Period": 60, "Stat": "Sum"}, "ReturnData": False}

    cloudwatch.put_metric_alarm(
        AlarmName="idp-t-f-error-rate", EvaluationPeriods=1, Threshold=10, ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
        Metrics=[{"Id": "rate", "Expression": RATE, "ReturnData": True}, query("Errors"), query("Invocations")],
    )  # fmt: skip
    alarms = LocalAlarms(cloudwatch, "123456789012", "eu-west-1", window=1.0)
    for errors in (0, 1, 0, 0):  # 1 of 4 invocations failed: 25 %
        cloudwatch.put_metric_data(
            Namespace="AWS/Lambda",
            MetricData=[
                {"MetricName": "Invocations", "Dimensions": function, "Value": 1},
                {"MetricName": "Errors", "Dimensions": function, "Value": errors},
            ],
        )
    assert alarms.evaluate() == [("idp-t-f-error-rate", "ALARM")]
    described = cloudwatch.describe_alarms(AlarmNames=["idp-t-f-error-rate"])["MetricAlarms"][0]
    assert described["StateReason"] == "Threshold Crossed: datapoints [25] were greater than the threshold (10)."
    time.sleep(1.1)  # the period passes with no invocation
    assert alarms.evaluate() == [("idp-t-f-error-rate", "OK")]
    assert alarms.unsupported == {}
