"""Each local fix makes the embedded AWS answer as AWS does (each test fails on plain moto 5.2.5),
and the server records what is called."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from idp.local import moto_fixes
from idp.local.aws_server import LocalAwsServer

REGION = "eu-west-1"


@pytest.fixture
def server(embedded_aws: LocalAwsServer) -> LocalAwsServer:
    return embedded_aws


def client(server: LocalAwsServer, service: str) -> Any:
    return server.client(service, REGION)


def test_every_fix_is_installed_and_documented() -> None:
    installed = moto_fixes.install()
    assert installed == sorted(moto_fixes.FIXES)
    table = moto_fixes.__doc__ or ""
    assert [name for name in [*installed, "managed_policies"] if f"`{name}`" not in table] == []


def test_aws_managed_policies_exist_while_the_server_runs(server: LocalAwsServer) -> None:
    from moto.core.config import default_user_config

    iam = client(server, "iam")
    policy = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")["Policy"]
    assert policy["PolicyName"] == "ReadOnlyAccess"
    server.stop()
    assert not default_user_config.get("iam", {}).get("load_aws_managed_policies")  # moto elsewhere stays fast


def test_a_request_finds_its_accounts_key_without_making_backends_for_every_partition(
    server: LocalAwsServer,
) -> None:
    """#22: plain moto made 8 IAM backends (one per partition, each loading ~1,600 managed policies)
    for every account a request might be in - 1-2 s on the first call of each pipeline role. The key
    is still found in its account: the call is answered as that account's."""
    from moto.iam.models import iam_backends

    sts = client(server, "sts")
    session = sts.assume_role(RoleArn="arn:aws:iam::222222222222:role/idp-dev-apply", RoleSessionName="fix")
    keys = session["Credentials"]
    from idp_common.aws import new_session

    other = new_session(
        access_key=keys["AccessKeyId"], secret_key=keys["SecretAccessKey"], token=keys["SessionToken"], region=REGION
    ).client("sts", endpoint_url=server.endpoint)
    assert other.get_caller_identity()["Account"] == "222222222222"
    made = {account: sorted(dict.keys(backends)) for account, backends in iam_backends.items()}
    assert all(partitions == ["aws"] for partitions in made.values()), made


def listings_of(folder: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Each listing of `folder` from now on (os.listdir, which moto and botocore list folders with)."""
    seen: list[Path] = []
    listdir = os.listdir

    def counted(path: Any = ".") -> list[str]:
        if Path(path) == folder:
            seen.append(folder)
        return listdir(path)

    monkeypatch.setattr(os, "listdir", counted)
    return seen


def test_a_request_is_dispatched_without_listing_motos_package_folder(
    server: LocalAwsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto's dispatcher listed its package folder (~200 isdir calls, ~0.7 ms) on every request, holding
    the lock every request takes. The list it answers with is the folder's."""
    import moto
    from moto import backends

    folder = Path(moto.__file__).parent
    sts = client(server, "sts")
    sts.get_caller_identity()  # the service's model is loaded once (botocore lists its data folders)
    listings = listings_of(folder, monkeypatch)
    for _ in range(3):
        sts.get_caller_identity()
    assert listings == []
    monkeypatch.undo()
    on_disk = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("__"))
    assert list(backends.list_of_moto_modules()) == on_disk


def test_a_services_model_is_read_once_by_requests_arriving_together(
    server: LocalAwsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto read a model through a new loader each time - listing botocore's data folder first - and its
    cache took no lock: eight requests of a new service at once made eight listings and eight reads."""
    import threading

    import botocore
    from moto.core import utils

    listings = listings_of(Path(botocore.__file__).parent / "data", monkeypatch)
    read: list[dict[str, Any]] = []
    start = threading.Barrier(8)

    def request() -> None:
        start.wait()
        read.append(utils._load_service_model("kinesis", "service-2"))

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(listings) <= 1  # none if the shared loader listed it before
    assert len(read) == 8
    assert all(model is read[0] for model in read)
    assert read[0]["metadata"]["serviceId"] == "Kinesis"


def test_state_machine_definitions_are_validated_and_versions_listed(server: LocalAwsServer) -> None:
    sfn = client(server, "stepfunctions")
    good = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}})
    assert sfn.validate_state_machine_definition(definition=good)["result"] == "OK"
    assert sfn.validate_state_machine_definition(definition="{not json")["result"] == "FAIL"
    arn = sfn.create_state_machine(name="m", definition=good, roleArn="arn:aws:iam::123456789012:role/r", publish=True)[
        "stateMachineArn"
    ]
    versions = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in versions] == [f"{arn}:1"]


def test_sqs_keeps_the_redrive_allow_policy_the_queue_policy_and_compact_json(server: LocalAwsServer) -> None:
    sqs = client(server, "sqs")
    dlq = sqs.create_queue(QueueName="fix-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue = sqs.create_queue(
        QueueName="fix-q",
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5})},
    )["QueueUrl"]
    allow = json.dumps(
        {"redrivePermission": "byQueue", "sourceQueueArns": ["arn:aws:sqs:eu-west-1:123456789012:fix-q"]}
    )
    sqs.set_queue_attributes(QueueUrl=dlq, Attributes={"RedriveAllowPolicy": allow})
    assert sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["All"])["Attributes"]["RedriveAllowPolicy"] == allow
    statement = {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sqs:SendMessage"}
    policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": policy})
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"VisibilityTimeout": "60"})
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert "Policy" in attributes  # not dropped by an update of another attribute
    assert attributes["RedrivePolicy"] == f'{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":5}}'


def test_lambda_keeps_its_logging_config_and_reports_no_empty_image_config(server: LocalAwsServer) -> None:
    lam = client(server, "lambda")
    role = client(server, "iam").create_role(RoleName="fix-fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam.create_function(
        FunctionName="fix-fn",
        Role=role,
        PackageType="Image",
        Code={"ImageUri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/x@sha256:" + "0" * 64},
        LoggingConfig={"LogFormat": "JSON", "LogGroup": "/aws/lambda/custom"},
    )
    config = lam.get_function_configuration(FunctionName="fix-fn")
    assert config["LoggingConfig"] == {
        "LogFormat": "JSON",
        "LogGroup": "/aws/lambda/custom",
        "ApplicationLogLevel": "INFO",
        "SystemLogLevel": "INFO",
    }
    assert "ImageConfigResponse" not in config


def test_a_services_default_key_is_aws_managed(server: LocalAwsServer) -> None:
    kms = client(server, "kms")
    assert kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyManager"] == "AWS"


def test_kms_keeps_the_rotation_period(server: LocalAwsServer) -> None:
    kms = client(server, "kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=180)
    assert kms.get_key_rotation_status(KeyId=key)["RotationPeriodInDays"] == 180


def test_s3_accepts_a_logging_target_before_its_grants(server: LocalAwsServer) -> None:
    s3 = client(server, "s3")
    for bucket in ("fix-source", "fix-logs"):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_logging(
        Bucket="fix-source", BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "fix-logs", "TargetPrefix": "s/"}}
    )
    assert s3.get_bucket_logging(Bucket="fix-source")["LoggingEnabled"]["TargetBucket"] == "fix-logs"


def test_s3_changes_object_lock_on_a_bucket_holding_objects(server: LocalAwsServer) -> None:
    """Fails without s3_object_lock_with_objects: moto answers 400 'Bucket needs to be empty'."""
    s3 = client(server, "s3")
    s3.create_bucket(Bucket="fix-locked", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket="fix-locked", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="fix-locked", Key="before", Body=b"{}")
    rule = {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}
    s3.put_object_lock_configuration(
        Bucket="fix-locked", ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": rule}
    )
    version = s3.put_object(Bucket="fix-locked", Key="after", Body=b"{}", ChecksumAlgorithm="SHA256")["VersionId"]
    assert s3.head_object(Bucket="fix-locked", Key="after", VersionId=version)["ObjectLockMode"] == "GOVERNANCE"
    s3.put_object_lock_configuration(Bucket="fix-locked", ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
    assert "Rule" not in s3.get_object_lock_configuration(Bucket="fix-locked")["ObjectLockConfiguration"]


def test_the_server_records_each_call_by_phase(server: LocalAwsServer) -> None:
    client(server, "iam").create_role(RoleName="probe-role", AssumeRolePolicyDocument="{}")
    with server.phase("probe"):
        client(server, "sqs").list_queues()
        client(server, "s3").list_buckets()
        client(server, "s3").create_bucket(
            Bucket="probe-bucket", CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        client(server, "iam").get_role(RoleName="probe-role")
    calls = {(c.service, c.operation, c.status, c.subject) for c in server.recorder.of("probe")}
    assert ("sqs", "ListQueues", 200, "") in calls
    assert ("s3", "GET /", 200, "") in calls
    assert ("s3", "PUT /probe-bucket", 200, "probe-bucket") in calls  # the subject is what it acts on
    assert ("iam", "GetRole", 200, "probe-role") in calls


def test_the_local_layers_own_calls_are_not_recorded(server: LocalAwsServer) -> None:
    """The alarm evaluator stands in for CloudWatch itself: its DescribeAlarms is no role's call (the
    cycle test checks every recorded call of a phase against the pipeline role of that phase)."""
    from idp.local.aws_server import local_layer_client

    with server.phase("probe-layer"):
        local_layer_client(client(server, "cloudwatch")).describe_alarms()
        client(server, "cloudwatch").list_metrics()
    assert [c.operation for c in server.recorder.of("probe-layer")] == ["ListMetrics"]


def test_a_mapped_queue_keeps_its_messages_for_the_local_poller(server: LocalAwsServer) -> None:
    """Plain moto hands the message to the function inside SendMessage and deletes it (the queue is
    empty at once); Lambda polls, so the message waits for the local event source stand-in."""
    sqs, lam = client(server, "sqs"), client(server, "lambda")
    url = sqs.create_queue(QueueName="fix-mapped")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    role = client(server, "iam").create_role(RoleName="fix-fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam.create_function(
        FunctionName="fix-fn",
        Role=role,
        PackageType="Image",
        Code={"ImageUri": f"123456789012.dkr.ecr.{REGION}.amazonaws.com/fix:latest"},
    )
    mapping = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="fix-fn", BatchSize=10)
    assert lam.get_event_source_mapping(UUID=mapping["UUID"])["EventSourceArn"] == arn  # Terraform reads it back
    sqs.send_message(QueueUrl=url, MessageBody="waits for the poller")
    received = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", [])
    assert [m["Body"] for m in received] == ["waits for the poller"]


def test_a_bucket_policy_statement_applies_only_where_its_condition_holds(server: LocalAwsServer) -> None:
    """The stack's TLS-only Deny (aws:SecureTransport false) refused every request on plain moto; an
    unconditional Deny still refuses, and a Deny for a named service principal is not the caller's."""
    s3 = client(server, "s3")
    s3.create_bucket(Bucket="fix-tls", CreateBucketConfiguration={"LocationConstraint": REGION})

    def policy(*statements: dict[str, Any]) -> None:
        s3.put_bucket_policy(
            Bucket="fix-tls", Policy=json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
        )

    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::fix-tls/*"}
    policy(deny | {"Condition": {"Bool": {"aws:SecureTransport": "false"}}})
    s3.put_object(Bucket="fix-tls", Key="k", Body=b"over TLS, as every AWS endpoint is")
    policy(deny | {"Principal": {"Service": "logging.s3.amazonaws.com"}})
    s3.put_object(Bucket="fix-tls", Key="k", Body=b"not that service")
    policy(deny)
    with pytest.raises(s3.exceptions.ClientError):
        s3.put_object(Bucket="fix-tls", Key="k", Body=b"refused")


def test_a_bucket_with_delete_markers_empties_after_versioning_is_suspended(server: LocalAwsServer) -> None:
    """What `terraform destroy` does to a versioned bucket the demo used (force_destroy): plain moto
    answers 500 to every delete of a key that has a delete marker, and the destroy retries forever."""
    s3 = client(server, "s3")
    s3.create_bucket(Bucket="fix-markers", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket="fix-markers", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="fix-markers", Key="uploads/a.pdf", Body=b"x")
    s3.delete_object(Bucket="fix-markers", Key="uploads/a.pdf")  # a delete marker on top
    s3.put_bucket_versioning(Bucket="fix-markers", VersioningConfiguration={"Status": "Suspended"})
    listed = s3.list_object_versions(Bucket="fix-markers")
    every = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in listed["Versions"] + listed["DeleteMarkers"]]
    s3.delete_objects(Bucket="fix-markers", Delete={"Objects": every})
    after = s3.list_object_versions(Bucket="fix-markers")
    assert after.get("Versions", []) + after.get("DeleteMarkers", []) == []
    s3.delete_bucket(Bucket="fix-markers")


def test_an_image_digest_is_the_hash_of_its_manifest(server: LocalAwsServer) -> None:
    """Two layer-less manifests got one digest from moto (the hash of no layers): a release of one
    function's image looked like every other's."""
    import hashlib

    ecr = client(server, "ecr")
    ecr.create_repository(repositoryName="idp/x")
    digests = []
    for config in ("sha256:a", "sha256:b"):
        media = "application/vnd.docker.distribution.manifest.v2+json"
        manifest = json.dumps({"schemaVersion": 2, "mediaType": media, "config": {"digest": config}, "layers": []})
        pushed = ecr.put_image(repositoryName="idp/x", imageManifest=manifest, imageTag=config[-1])
        digests.append(pushed["image"]["imageId"]["imageDigest"])
        assert digests[-1] == "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
    assert len(set(digests)) == 2


def test_an_event_on_the_bus_reaches_pattern_rules_and_no_schedule_rule(server: LocalAwsServer) -> None:
    """Plain moto matches a schedule rule (no pattern) to every event and answers PutEvents with a 500
    for its Lambda target; EventBridge runs a schedule rule on its schedule only."""
    events, sqs = client(server, "events"), client(server, "sqs")
    url = sqs.create_queue(QueueName="fix-bda-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="fix-schedule", ScheduleExpression="rate(1 hour)")
    events.put_targets(
        Rule="fix-schedule", Targets=[{"Id": "fn", "Arn": f"arn:aws:lambda:{REGION}:123456789012:function:fix-sched"}]
    )
    events.put_rule(Name="fix-pattern", EventPattern=json.dumps({"source": ["aws.bedrock"]}))
    events.put_targets(Rule="fix-pattern", Targets=[{"Id": "q", "Arn": arn}])
    answer = events.put_events(Entries=[{"Source": "aws.bedrock", "DetailType": "t", "Detail": "{}"}])
    assert answer["FailedEntryCount"] == 0
    received = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", [])
    assert [json.loads(m["Body"])["source"] for m in received] == ["aws.bedrock"]


def test_a_task_failure_keeps_its_cause(server: LocalAwsServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Plain moto drops SendTaskFailure's cause: the Catch saw {"Error": ..., "Cause": null}."""
    import time

    monkeypatch.setenv("MOTO_PORT", server.endpoint.rsplit(":", 1)[-1])  # where its SQS task sends

    sqs, sfn = client(server, "sqs"), client(server, "stepfunctions")
    url = sqs.create_queue(QueueName="fix-tokens")["QueueUrl"]
    definition = {
        "StartAt": "Wait",
        "States": {
            "Wait": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": url, "MessageBody": {"token.$": "$$.Task.Token"}},
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }
    arn = sfn.create_state_machine(
        name="fix-cause", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/r"
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    messages: list[Any] = []
    for _ in range(50):
        messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", [])
        if messages:
            break
        time.sleep(0.1)
    token = json.loads(messages[0]["Body"])["token"]
    sfn.send_task_failure(taskToken=token, error="BdaJobFailedError", cause="BDA job ended ClientError: corrupt")
    for _ in range(50):
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            break
        time.sleep(0.1)
    assert json.loads(described["output"])["error"] == {
        "Error": "BdaJobFailedError",
        "Cause": "BDA job ended ClientError: corrupt",
    }


def test_a_mapping_made_for_an_alias_keeps_invoking_the_alias(server: LocalAwsServer) -> None:
    """Plain moto answered FunctionArn `...:fix-alias:1` (the version the alias pointed at): Terraform
    would plan a change forever, and the mapping would stay on that version after the alias moved."""
    sqs, lam = client(server, "sqs"), client(server, "lambda")
    url = sqs.create_queue(QueueName="fix-alias-queue")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    role = client(server, "iam").create_role(RoleName="fix-alias", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam.create_function(
        FunctionName="fix-alias",
        Role=role,
        PackageType="Image",
        Code={"ImageUri": f"123456789012.dkr.ecr.{REGION}.amazonaws.com/fix:latest"},
        Publish=True,
    )
    alias = lam.create_alias(FunctionName="fix-alias", Name="live", FunctionVersion="1")["AliasArn"]
    mapping = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=alias, BatchSize=10)
    assert lam.get_event_source_mapping(UUID=mapping["UUID"])["FunctionArn"] == alias
    by_name = lam.create_event_source_mapping(
        EventSourceArn=sqs.get_queue_attributes(
            QueueUrl=sqs.create_queue(QueueName="fix-alias-queue-2")["QueueUrl"], AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"],
        FunctionName="fix-alias:live",
        BatchSize=10,
    )
    assert lam.get_event_source_mapping(UUID=by_name["UUID"])["FunctionArn"] == alias


def test_describe_alarms_applies_the_name_prefix_and_the_state_together(server: LocalAwsServer) -> None:
    cloudwatch = client(server, "cloudwatch")
    for name in ("idp-x-a", "idp-x-b", "other-c"):
        cloudwatch.put_metric_alarm(
            AlarmName=name, Namespace="N", MetricName="M", Statistic="Sum", Period=60, EvaluationPeriods=1,
            Threshold=1, ComparisonOperator="GreaterThanThreshold",
        )  # fmt: skip
    cloudwatch.set_alarm_state(AlarmName="idp-x-b", StateValue="ALARM", StateReason="test")
    cloudwatch.set_alarm_state(AlarmName="other-c", StateValue="ALARM", StateReason="test")
    found = cloudwatch.describe_alarms(AlarmNamePrefix="idp-x-", StateValue="ALARM")["MetricAlarms"]
    assert [a["AlarmName"] for a in found] == ["idp-x-b"]  # plain moto: idp-x-a (OK) too
    found = cloudwatch.describe_alarms(AlarmNames=["idp-x-a", "other-c"], StateValue="OK")["MetricAlarms"]
    assert [a["AlarmName"] for a in found] == ["idp-x-a"]


def test_a_retried_callback_task_waits_for_its_own_outcome(
    server: LocalAwsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first attempt fails its own task (SendTaskFailure from inside the invocation, as
    bda_orchestrator does to wait for a slot); the retry must wait for the outcome it gets. Plain moto
    reused the token: the retry found the first failure and failed at once (3 attempts here, or the
    Retry ran out)."""
    import io
    import time
    import zipfile

    from idp.local.lambda_router import LambdaRouter

    monkeypatch.setenv("MOTO_PORT", server.endpoint.rsplit(":", 1)[-1])
    sfn, lam = client(server, "stepfunctions"), client(server, "lambda")
    role = client(server, "iam").create_role(RoleName="fix-callback", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("app.py", "")
    function = lam.create_function(
        FunctionName="fix-callback", Runtime="python3.11", Role=role, Handler="app.handler",
        Code={"ZipFile": package.getvalue()},
    )["FunctionArn"]  # fmt: skip
    tokens: list[str] = []

    def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
        tokens.append(event["token"])
        steps = client(server, "stepfunctions")
        if len(tokens) == 1:
            steps.send_task_failure(taskToken=event["token"], error="Wait", cause="no slot yet")
        else:
            import threading

            threading.Timer(0.3, steps.send_task_success, kwargs={"taskToken": event["token"], "output": "{}"}).start()
        return {}

    router = LambdaRouter()
    router.register("fix-callback", handler)
    router.install()
    try:
        definition = {
            "StartAt": "T",
            "States": {
                "T": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                    "Parameters": {"FunctionName": function, "Payload": {"token.$": "$$.Task.Token"}},
                    "Retry": [{"ErrorEquals": ["Wait"], "IntervalSeconds": 1, "MaxAttempts": 3}],
                    "End": True,
                }
            },
        }
        arn = sfn.create_state_machine(name="fix-callback", definition=json.dumps(definition), roleArn=role)[
            "stateMachineArn"
        ]
        execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
        for _ in range(100):
            described = sfn.describe_execution(executionArn=execution)
            if described["status"] != "RUNNING":
                break
            time.sleep(0.1)
    finally:
        router.uninstall()
    events = [e["type"] for e in sfn.get_execution_history(executionArn=execution)["events"]]
    assert described["status"] == "SUCCEEDED"
    assert events.count("TaskFailed") == 1  # plain moto: 2 (the retry ended by the first attempt's failure)
    assert len(tokens) == 2
    assert tokens[0] != tokens[1]


def test_a_budget_notifications_subscribers_are_listed(server: LocalAwsServer) -> None:
    """Plain moto: DescribeSubscribersForNotification is not implemented (500)."""
    budgets = server.client("budgets", "us-east-1")
    notification = {
        "NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 80.0,
        "ThresholdType": "PERCENTAGE",
    }  # fmt: skip
    topic = "arn:aws:sns:eu-west-1:123456789012:alarms"
    budgets.create_budget(
        AccountId="123456789012",
        Budget={
            "BudgetName": "b", "BudgetLimit": {"Amount": "100", "Unit": "USD"}, "TimeUnit": "MONTHLY",
            "BudgetType": "COST",
        },
        NotificationsWithSubscribers=[
            {"Notification": notification, "Subscribers": [{"SubscriptionType": "SNS", "Address": topic}]}
        ],
    )  # fmt: skip
    found = budgets.describe_subscribers_for_notification(
        AccountId="123456789012", BudgetName="b", Notification=notification
    )["Subscribers"]
    assert found == [{"SubscriptionType": "SNS", "Address": topic}]
    with pytest.raises(budgets.exceptions.NotFoundException):
        budgets.describe_subscribers_for_notification(
            AccountId="123456789012", BudgetName="b", Notification=notification | {"Threshold": 100.0}
        )


def test_a_budgets_tags_are_kept_and_listed(server: LocalAwsServer) -> None:
    """Plain moto: CreateBudget drops ResourceTags and ListTagsForResource is not implemented (500)."""
    budgets = server.client("budgets", "us-east-1")
    budgets.create_budget(
        AccountId="123456789012",
        Budget={"BudgetName": "t", "BudgetLimit": {"Amount": "1", "Unit": "USD"}, "TimeUnit": "MONTHLY",
                "BudgetType": "COST"},
        ResourceTags=[{"Key": "Environment", "Value": "dev"}],
    )  # fmt: skip
    arn = "arn:aws:budgets::123456789012:budget/t"
    assert budgets.list_tags_for_resource(ResourceARN=arn)["ResourceTags"] == [{"Key": "Environment", "Value": "dev"}]
    budgets.tag_resource(ResourceARN=arn, ResourceTags=[{"Key": "Project", "Value": "idp"}])
    budgets.untag_resource(ResourceARN=arn, ResourceTagKeys=["Environment"])
    assert budgets.list_tags_for_resource(ResourceARN=arn)["ResourceTags"] == [{"Key": "Project", "Value": "idp"}]


def test_a_retry_after_a_lost_answer_and_a_server_error_are_named_with_their_phase(
    server: LocalAwsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a failed apply says beside Terraform's error: an alias "already exists" because the client
    lost the first answer and sent it again (the request repeated), and what the server raised."""
    from botocore.config import Config
    from botocore.exceptions import ClientError
    from moto.kms.responses import KmsResponse

    from idp.local.aws_server import LOCAL_KEY_ID, LOCAL_SECRET
    from idp_common.aws import new_session

    kms = client(server, "kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    with server.phase("apply"):
        kms.create_alias(AliasName="alias/terraform-state", TargetKeyId=key)
        with pytest.raises(kms.exceptions.AlreadyExistsException):
            kms.create_alias(AliasName="alias/terraform-state", TargetKeyId=key)  # the same request, again
        kms.create_alias(AliasName="alias/other", TargetKeyId=key)  # a different request is no retry

        def broken(self: Any) -> str:
            raise RuntimeError("dictionary changed size during iteration")

        monkeypatch.setattr(KmsResponse, "list_aliases", broken)
        session = new_session(access_key=LOCAL_KEY_ID, secret_key=LOCAL_SECRET, region=REGION)
        once = session.client("kms", endpoint_url=server.endpoint, config=Config(retries={"total_max_attempts": 1}))
        with pytest.raises(ClientError, match="500"):
            once.list_aliases()
    assert server.recorder.diagnosis("plan") == ""
    assert server.recorder.diagnosis("apply").splitlines()[1:] == [
        "  kms ListAliases answered 500",
        "  kms ListAliases (apply): RuntimeError: dictionary changed size during iteration",
        "  kms CreateAlias succeeded, then was sent again and answered 400",
    ]
