"""The IDP resources created directly in moto for handler tests (tests/unit, the API contract test).

Not the local run: `make demo` and the Terraform cycle test run on what Terraform applies
(idp.local.stack). This fixture exists because a handler test needs a fresh stack in milliseconds,
not one apply of ~90 s; tests/infra/test_cross_layer.py holds its environment variables equal to
modules/compute's, and the Terraform cycle test holds its table keys equal to what Terraform built.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from idp.configs.publish import PublishReport, Target, publish
from idp.configs.validate import load_all
from idp.local.bda_double import LocalBlueprints, ReplayBda, load_recordings
from idp.local.lambda_router import LambdaRouter
from idp.local.stack import LOCAL_ACCOUNT, LOCAL_REGION
from idp.naming import FUNCTIONS, Names
from idp.paths import REPO_ROOT
from idp_common.documents import STATUS_INDEX

ASL_PATH = REPO_ROOT / "modules" / "orchestration" / "state-machine.asl.json"


class Cloud(Protocol):
    router: LambdaRouter

    def client(self, service: str) -> Any: ...

    def setenv(self, values: dict[str, str]) -> None: ...


@dataclass(frozen=True)
class FixtureTimings:
    visibility_timeout: int = 1
    max_receive_count: int = 3
    bda_deadline_seconds: int = 30
    upload_expiry_seconds: int = 900


def render_asl(names: Names, path: Path = ASL_PATH) -> str:
    """The ASL with Terraform's templatefile() placeholders filled in as the module fills them."""
    text = path.read_text()
    for function in FUNCTIONS:
        text = text.replace("${" + f"{function}_arn" + "}", names.function_arn(function))
    if "${" in text:
        raise ValueError(f"{path}: unfilled template placeholder left in the state machine")
    json.loads(text)
    return text


def function_environment(names: Names, timings: FixtureTimings, *, bda_profile_arn: str) -> dict[str, str]:
    """The environment variables of every function (the compute module sets the same keys)."""
    return {
        "DOCUMENTS_TABLE": names.documents_table,
        "CONFIG_TABLE": names.config_table,
        "CONFIG_VERSION_PARAMETER": names.config_version_parameter,
        "INPUT_BUCKET": names.input_bucket,
        "OUTPUT_BUCKET": names.output_bucket,
        "UPLOAD_EXPIRY_SECONDS": str(timings.upload_expiry_seconds),
        "RESULT_URL_EXPIRY_SECONDS": "900",
        "STATE_MACHINE_ARN": names.state_machine_arn,
        "BDA_DEADLINE_SECONDS": str(timings.bda_deadline_seconds),
        "BDA_MAX_IN_FLIGHT": "10",
        "QUEUED_DEADLINE_SECONDS": "1800",
        "PROCESSING_DEADLINE_SECONDS": "7200",
        "BDA_PROJECT_PARAMETER": names.bda_project_parameter,
        "BDA_PROFILE_ARN": bda_profile_arn,
        "BDA_STAGE": "LIVE",
        "CALLBACK_SECRET_ID": names.callback_secret,
        "CALLBACK_TIMEOUT_SECONDS": "5",
        "CALLBACK_QUEUE_URL": f"{os.environ.get('AWS_ENDPOINT_URL', '')}/{LOCAL_ACCOUNT}/{names.callbacks_queue}",
        "CALLBACK_MAX_ATTEMPTS": "3",
        "CALLBACK_RETRY_BASE_SECONDS": "1",
        "CALLBACK_ALLOW_HTTP_LOOPBACK": "true",
        "RETENTION_DAYS": "90",
        "DLQ_URL": f"{os.environ.get('AWS_ENDPOINT_URL', '')}/{LOCAL_ACCOUNT}/{names.intake_dlq}",
        "INPUT_QUEUE_URL": f"{os.environ.get('AWS_ENDPOINT_URL', '')}/{LOCAL_ACCOUNT}/{names.intake_queue}",
    }


@dataclass
class Deployment:
    """What `provision` created: names, URLs and the doubles wired into the handlers."""

    names: Names
    input_queue_url: str
    dlq_url: str
    callbacks_queue_url: str
    callback_secret: str
    bda: ReplayBda
    blueprints: LocalBlueprints
    publish_report: PublishReport


def provision(cloud: Cloud, names: Names, timings: FixtureTimings, configs_dir: Path) -> Deployment:
    c = cloud.client
    kms_key = c("kms").create_key(Description=f"{names.prefix} data key")["KeyMetadata"]["Arn"]
    s3 = c("s3")
    for bucket in (names.input_bucket, names.output_bucket, names.config_bucket, names.audit_bucket):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": LOCAL_REGION})
        s3.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": kms_key}}
                ]
            },
        )
    ddb = c("dynamodb")
    ddb.create_table(
        TableName=names.documents_table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "document_id", "AttributeType": "S"},
            {"AttributeName": "status", "AttributeType": "S"},
            {"AttributeName": "created_at", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "document_id", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": STATUS_INDEX,
                "KeySchema": [
                    {"AttributeName": "status", "KeyType": "HASH"},
                    {"AttributeName": "created_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    ddb.update_time_to_live(
        TableName=names.documents_table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
    )
    ddb.create_table(
        TableName=names.config_table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "document_type", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "document_type", "KeyType": "HASH"}],
    )
    sqs = c("sqs")
    dlq_url = sqs.create_queue(QueueName=names.intake_dlq, Attributes={"KmsMasterKeyId": kms_key})["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(
        QueueName=names.intake_queue,
        Attributes={
            "KmsMasterKeyId": kms_key,
            "VisibilityTimeout": str(timings.visibility_timeout),
            "ReceiveMessageWaitTimeSeconds": "1",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": timings.max_receive_count}),
        },
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    callbacks_dlq = sqs.create_queue(QueueName=names.callbacks_dlq, Attributes={"KmsMasterKeyId": kms_key})["QueueUrl"]
    callbacks_dlq_arn = sqs.get_queue_attributes(QueueUrl=callbacks_dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    callbacks_url = sqs.create_queue(
        QueueName=names.callbacks_queue,
        Attributes={
            "KmsMasterKeyId": kms_key,
            "VisibilityTimeout": str(timings.visibility_timeout),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": callbacks_dlq_arn, "maxReceiveCount": 3}),
        },
    )["QueueUrl"]
    s3.put_bucket_notification_configuration(
        Bucket=names.input_bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": queue_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"}]}},
                }
            ]
        },
    )
    callback_secret = secrets.token_hex(32)
    c("secretsmanager").create_secret(Name=names.callback_secret, SecretString=callback_secret, KmsKeyId=kms_key)
    role_arn = c("iam").create_role(
        RoleName=f"{names.prefix}-local-lambda",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )["Role"]["Arn"]
    bda_profile = f"arn:aws:bedrock:{LOCAL_REGION}:{LOCAL_ACCOUNT}:data-automation-profile/eu.data-automation-v1"
    env = function_environment(names, timings, bda_profile_arn=bda_profile)
    env["DLQ_URL"], env["INPUT_QUEUE_URL"], env["CALLBACK_QUEUE_URL"] = dlq_url, queue_url, callbacks_url
    lam = c("lambda")
    for function in FUNCTIONS:
        lam.create_function(
            FunctionName=names.function(function),
            Role=role_arn,
            PackageType="Image",
            Code={"ImageUri": f"{LOCAL_ACCOUNT}.dkr.ecr.{LOCAL_REGION}.amazonaws.com/{names.prefix}/{function}:local"},
            Environment={"Variables": env},
            Architectures=["arm64"],
        )
        cloud.router.register_module(names.function(function), f"{function}.app")
    c("stepfunctions").create_state_machine(
        name=names.state_machine, definition=render_asl(names), roleArn=role_arn, type="STANDARD"
    )
    # The handlers run in this process: they read the same variables Lambda would give them.
    cloud.setenv({**env, "POWERTOOLS_METRICS_NAMESPACE": "IDP", "POWERTOOLS_TRACE_DISABLED": "true"})

    blueprints = LocalBlueprints(account_id=LOCAL_ACCOUNT, region=LOCAL_REGION)
    types, problems = load_all(configs_dir)
    if problems:
        raise ValueError("doc-configs are invalid:\n" + "\n".join(map(str, problems)))
    report = publish(
        types,
        s3=s3,
        dynamodb=ddb,
        ssm=c("ssm"),
        blueprints=blueprints,
        target=Target.of(names),
    )
    bda = ReplayBda(s3=s3, recordings=load_recordings(), account_id=LOCAL_ACCOUNT, region=LOCAL_REGION)
    import bda_orchestrator.app as orchestrator

    orchestrator.DOUBLE = bda.for_project(blueprints.project_arn)
    return Deployment(names, queue_url, dlq_url, callbacks_url, callback_secret, bda, blueprints, report)
