"""Where moto answers differently from AWS, fixed here - small, named, each with a test
(tests/tools/test_moto_fixes.py). The modules never change for moto's sake.

| fix | what moto 5.2.5 does | what AWS does |
| --- | --- | --- |
| `managed_policies` (while the server runs) | has no AWS managed policies unless asked | they exist |
| `sfn_validate_definition` | `ValidateStateMachineDefinition` not implemented | validates the ASL |
| `sfn_list_versions` | `ListStateMachineVersions` not implemented | lists the published versions |
| `sqs_redrive_allow_policy` | accepts `RedriveAllowPolicy`, never returns it | returns it |
| `sqs_policy_kept` | `SetQueueAttributes` without `Policy` deletes the policy | leaves it |
| `sqs_compact_redrive_policy` | re-serializes `RedrivePolicy` with spaces | returns it compact |
| `lambda_logging_config` | ignores `LoggingConfig` | keeps and returns it (JSON logs, log group) |
| `lambda_no_image_config` | returns an empty `ImageConfigResponse` for images without one | returns none |
| `kms_default_keys_aws_managed` | makes the keys behind `alias/aws/*` customer-managed | AWS-managed |
| `kms_rotation_period` | drops `RotationPeriodInDays` | keeps and returns it (default 365) |
| `s3_logging_target` | refuses a logging target whose grants come later | checks them at delivery |
| `s3_policy_conditions` | applies a bucket policy statement whatever its Condition | only where it holds (TLS) |
| `s3_delete_marker_dispose` | fails (500) deleting a key with a delete marker, versioning suspended | deletes it |
| `sqs_event_source_polled_locally` | delivers inline on SendMessage, ignores the answer | Lambda polls (event_source) |
| `s3_object_lock_with_objects` | refuses Object Lock settings on a bucket with objects | accepts them (versioned) |
| `ecr_manifest_digest` | digest = hash of the layers' digests (layer-less ones alike) | SHA-256 of the manifest |
| `events_schedule_rules_match_no_event` | a schedule rule matches any event (500 on Lambda) | only its schedule runs |
| `sfn_task_failure_cause` | drops `SendTaskFailure`'s `cause` | the Catch sees it as `Cause` |
| `lambda_esm_keeps_alias_arn` | maps an alias to its version (`FunctionArn` `…:1`) | keeps the alias ARN (`…:live`) |
| `sfn_callback_attempt_token` | a retried callback task reuses its token: the old outcome ends it | waits for its own |
| `budgets_describe_subscribers` | `DescribeSubscribersForNotification` not implemented (500) | lists them |
| `budgets_tags` | drops `CreateBudget`'s `ResourceTags`; no `ListTagsForResource`/`TagResource` (500) | keeps them |
| `cloudwatch_describe_alarms_filters` | `DescribeAlarms` applies one filter (drops `StateValue`) | all of them |
| `iam_access_key_lookup_without_new_backends` | an IAM backend per partition to find a key | (speed: same answer) |
| `moto_modules_listed_once` | lists its package folder on every request (dispatch lock held) | (speed: same answer) |
| `moto_service_models_read_once` | a new loader per model read, unlocked: concurrent reads | (speed: same answer) |
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from idp.local.iam_actions import condition_holds

FIXES: dict[str, Callable[[], None]] = {}
_INSTALLED: set[str] = set()


def fix(function: Callable[[], None]) -> Callable[[], None]:
    FIXES[function.__name__] = function
    return function


@contextmanager
def managed_policies() -> Iterator[None]:
    """The GitHub plan role attaches ReadOnlyAccess, API Gateway's account role a service-role policy.
    Loading every AWS managed policy takes seconds per IAM backend, so only the server turns it on,
    while it runs (tests that use moto in-process are not slowed)."""
    from moto.core.config import default_user_config  # noqa: PLC0415 - moto is a local-run dependency

    before = default_user_config.get("iam")
    default_user_config["iam"] = {"load_aws_managed_policies": True}
    try:
        yield
    finally:
        if before is None:
            default_user_config.pop("iam", None)
        else:
            default_user_config["iam"] = before


@fix
def iam_access_key_lookup_without_new_backends() -> None:
    """Every request asks moto which account its access key belongs to, and moto answers by walking
    every known account's IAM backend in every partition (aws, aws-cn, aws-us-gov, ...), creating each
    one that does not exist yet - with AWS's ~1,600 managed policies, which the server loads: ~0.16 s a
    backend, 1-2 s for a request that meets a new account (an act world has four). A key is only ever
    in a backend that exists: look there alone; the answer is the same."""
    from moto.core.models import DEFAULT_ACCOUNT_ID  # noqa: PLC0415
    from moto.iam import models  # noqa: PLC0415

    def get_account_id_from(access_key: str) -> str:
        for account_id, account in list(models.iam_backends.items()):
            for backend in list(dict.values(account)):  # the partitions' backends already made
                if access_key in backend.access_keys:
                    return str(account_id)
        return str(DEFAULT_ACCOUNT_ID)

    models.get_account_id_from = get_account_id_from


@fix
def moto_modules_listed_once() -> None:
    """Which backend serves a request: moto's dispatcher first asks whether the host is one of its module
    names, by listing moto's package folder - ~200 `isdir` calls on every request, inside the lock every
    request takes (py-spy over the Terraform cycle test: ~14 s of the server thread, and the lock most of
    the other threads waited on). The folder does not change while the server runs: list it once."""
    from moto import backends  # noqa: PLC0415

    listed = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: listed


@fix
def moto_service_models_read_once() -> None:
    """moto reads a service's model through a new loader each time, which first lists botocore's and
    moto's data folders (~600 entries), and caches the result without a lock: the first requests of a
    service arrive together (Terraform runs 10 at once) and each reads it - ~20 s of the server's threads
    in the cycle test. One loader (it keeps its listings and what it read), one read per model."""
    import threading  # noqa: PLC0415

    from moto.core import utils  # noqa: PLC0415
    from moto.core.loaders import create_loader  # noqa: PLC0415

    loader = create_loader()
    guard = threading.Lock()
    locks: dict[tuple[str, str], threading.Lock] = {}

    def load_service_model(service_name: str, model_name: str) -> dict[str, Any]:
        with guard:
            lock = locks.setdefault((service_name, model_name), threading.Lock())
        with lock:  # the first caller reads it, the others wait and get what it read
            return loader.load_service_model(service_name, model_name)  # type: ignore[no-any-return]

    utils._load_service_model = load_service_model  # shared as botocore's clients share it: read-only


@fix
def sfn_validate_definition() -> None:
    """The provider validates the definition before CreateStateMachine: parse it as AWS would, roughly."""
    from moto.stepfunctions.responses import StepFunctionResponse  # noqa: PLC0415

    def validate_state_machine_definition(self: Any) -> str:
        definition = json.loads(self.body).get("definition", "")
        try:
            parsed = json.loads(definition)
            problems = [] if isinstance(parsed, dict) and "StartAt" in parsed and "States" in parsed else ["SCHEMA"]
        except json.JSONDecodeError:
            problems = ["INVALID_JSON_DESCRIPTION"]
        diagnostics = [{"severity": "ERROR", "code": code, "message": "invalid definition"} for code in problems]
        return json.dumps({"result": "FAIL" if problems else "OK", "diagnostics": diagnostics, "truncated": False})

    setattr(StepFunctionResponse, "validate_state_machine_definition", validate_state_machine_definition)  # noqa: B010


@fix
def sfn_list_versions() -> None:
    """The provider lists a state machine's versions on every read (moto keeps them, only the call is missing)."""
    from moto.stepfunctions.responses import StepFunctionResponse  # noqa: PLC0415

    def list_state_machine_versions(self: Any) -> str:
        machine = self.stepfunction_backend.describe_state_machine(self._get_param("stateMachineArn"))
        versions = [
            {"stateMachineVersionArn": v.arn, "creationDate": v.creation_date.timestamp()}
            for v in sorted(machine.versions.values(), key=lambda v: -v.version)
        ]
        return json.dumps({"stateMachineVersions": versions})

    setattr(StepFunctionResponse, "list_state_machine_versions", list_state_machine_versions)  # noqa: B010


@fix
def sqs_redrive_allow_policy() -> None:
    from moto.sqs.models import Queue  # noqa: PLC0415

    plain = vars(Queue)["attributes"].fget

    def attributes(self: Any) -> dict[str, Any]:
        result: dict[str, Any] = plain(self)
        result.pop("RedriveAllowPolicy", None)
        if self.redrive_allow_policy:
            result["RedriveAllowPolicy"] = self.redrive_allow_policy
        return result

    setattr(Queue, "redrive_allow_policy", None)  # noqa: B010 - _set_attributes stores it; nothing reads it
    setattr(Queue, "attributes", property(attributes))  # noqa: B010
    if "RedriveAllowPolicy" not in Queue.KMS_ATTRIBUTES:  # one of the lists of names GetQueueAttributes accepts
        Queue.KMS_ATTRIBUTES = [*Queue.KMS_ATTRIBUTES, "RedriveAllowPolicy"]


@fix
def sqs_policy_kept() -> None:
    from moto.sqs.models import Queue  # noqa: PLC0415

    plain = Queue._set_attributes

    def set_attributes(self: Any, attributes: dict[str, Any], now: float | None = None) -> None:
        kept = getattr(self, "policy", None)
        plain(self, attributes, now)
        if "Policy" not in attributes:
            self.policy = kept

    Queue._set_attributes = set_attributes  # type: ignore[method-assign]


@fix
def sqs_compact_redrive_policy() -> None:
    from moto.sqs.models import Queue  # noqa: PLC0415

    plain = vars(Queue)["attributes"].fget

    def attributes(self: Any) -> dict[str, Any]:
        result: dict[str, Any] = plain(self)
        if self.redrive_policy:
            result["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
        return result

    setattr(Queue, "attributes", property(attributes))  # noqa: B010


@fix
def lambda_logging_config() -> None:
    from moto.awslambda.models import LambdaFunction  # noqa: PLC0415

    init, configuration, update = (
        LambdaFunction.__init__,
        LambdaFunction.get_configuration,
        LambdaFunction.update_configuration,
    )

    def logging_of(spec: dict[str, Any], name: str) -> dict[str, Any]:
        given = dict(spec.get("LoggingConfig") or {})
        result = {"LogFormat": given.get("LogFormat", "Text"), "LogGroup": given.get("LogGroup", f"/aws/lambda/{name}")}
        if result["LogFormat"] == "JSON":  # AWS fills in the levels for JSON logs
            result |= {"ApplicationLogLevel": given.get("ApplicationLogLevel", "INFO")}
            result |= {"SystemLogLevel": given.get("SystemLogLevel", "INFO")}
        return result

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        spec = kwargs.get("spec") or next(a for a in args if isinstance(a, dict))
        self.logging_config = logging_of(spec, self.function_name)

    def get_configuration(self: Any, on_create: bool = False) -> dict[str, Any]:
        config: dict[str, Any] = configuration(self, on_create)
        config["LoggingConfig"] = self.logging_config
        return config

    def update_configuration(self: Any, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "LoggingConfig" in config_updates:
            self.logging_config = logging_of(config_updates, self.function_name)
        result: dict[str, Any] = update(self, config_updates)
        return result

    LambdaFunction.__init__ = __init__  # type: ignore[method-assign]
    LambdaFunction.get_configuration = get_configuration  # type: ignore[method-assign]
    LambdaFunction.update_configuration = update_configuration  # type: ignore[method-assign]


@fix
def lambda_no_image_config() -> None:
    from moto.awslambda.models import LambdaFunction  # noqa: PLC0415

    configuration = LambdaFunction.get_configuration

    def get_configuration(self: Any, on_create: bool = False) -> dict[str, Any]:
        config: dict[str, Any] = configuration(self, on_create)
        image = config.get("ImageConfigResponse", {}).get("ImageConfig")
        if image is not None and not any(image.values()):
            del config["ImageConfigResponse"]
        return config

    LambdaFunction.get_configuration = get_configuration  # type: ignore[method-assign]


@fix
def kms_default_keys_aws_managed() -> None:
    """A service's default key (alias/aws/s3, ...) is AWS's, never part of a stack."""
    from moto.kms.models import KmsBackend  # noqa: PLC0415

    plain = KmsBackend._generate_default_keys

    def generate_default_keys(self: Any, alias_name: str) -> str | None:
        key_id: str | None = plain(self, alias_name)
        if key_id is not None:
            self.keys[key_id].key_manager = "AWS"
        return key_id

    setattr(KmsBackend, "_generate_default_keys", generate_default_keys)  # noqa: B010


@fix
def kms_rotation_period() -> None:
    from moto.kms.responses import KmsResponse  # noqa: PLC0415

    enable, status = KmsResponse.enable_key_rotation, KmsResponse.get_key_rotation_status
    periods: dict[str, int] = {}

    def enable_key_rotation(self: Any) -> str:
        key = self.kms_backend.get_key_id(self._get_param("KeyId"))
        result: str = enable(self)
        periods[key] = int(self._get_param("RotationPeriodInDays") or 365)
        return result

    def get_key_rotation_status(self: Any) -> str:
        answer = json.loads(status(self))
        key = self.kms_backend.get_key_id(self._get_param("KeyId"))
        if answer.get("KeyRotationEnabled"):
            answer |= {"KeyId": key, "RotationPeriodInDays": periods.get(key, 365)}
        return json.dumps(answer)

    KmsResponse.enable_key_rotation = enable_key_rotation  # type: ignore[method-assign]
    KmsResponse.get_key_rotation_status = get_key_rotation_status  # type: ignore[method-assign]


@fix
def s3_logging_target() -> None:
    """AWS accepts PutBucketLogging and checks the target's permissions when it delivers logs."""
    from moto.s3.models import FakeBucket  # noqa: PLC0415

    def permitted(self: Any, target_bucket: Any, target_prefix: str | None) -> bool:
        return True

    setattr(FakeBucket, "_log_permissions_enabled_policy", permitted)  # noqa: B010


# What a request to the embedded AWS presents to a bucket policy's conditions: it stands in for AWS's
# HTTPS endpoints. A key missing here makes its condition false, as in AWS (no ...IfExists support).
REQUEST_CONTEXT = {"aws:SecureTransport": "true"}


def _condition_holds(conditions: dict[str, dict[str, Any]]) -> bool:

    try:
        return condition_holds(conditions, REQUEST_CONTEXT)
    except ValueError:
        return False  # an operator the evaluator does not know never grants or denies here


@fix
def s3_policy_conditions() -> None:
    """moto evaluates a bucket policy statement without its Condition (its condition operators are
    StringEquals only; others count as met), so the stack's TLS-only Deny refuses every request."""
    from moto.iam.access_control import PermissionResult  # noqa: PLC0415
    from moto.s3.models import FakeBucket  # noqa: PLC0415

    def listed(value: Any) -> list[str]:
        return [str(v) for v in (value if isinstance(value, list) else [value])]

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        document = json.loads(self.policy)
        statements = document.get("Statement", [])
        result = PermissionResult.NEUTRAL
        for statement in statements if isinstance(statements, list) else [statements]:
            principal = statement.get("Principal")
            if principal != "*" and listed((principal or {}).get("AWS") if isinstance(principal, dict) else None) != [
                "*"
            ]:
                continue  # a named principal (a service, an account): not the caller moto cannot identify
            if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in listed(statement.get("Action", []))):
                continue
            if not any(fnmatch.fnmatchcase(resource, r) for r in listed(statement.get("Resource", []))):
                continue
            if not _condition_holds(statement.get("Condition", {})):
                continue
            if statement.get("Effect") == "Deny":
                return PermissionResult.DENIED
            result = PermissionResult.PERMITTED
        return result

    setattr(FakeBucket, "get_permission", get_permission)  # noqa: B010


@fix
def s3_delete_marker_dispose() -> None:
    """Destroying a stack suspends versioning before it empties the bucket; moto then drops every version
    of a key at once and calls dispose() on each, which a delete marker lacks (it holds no data)."""
    from moto.s3.models import FakeDeleteMarker  # noqa: PLC0415

    def dispose(self: Any, garbage: bool = False) -> None:
        return None

    setattr(FakeDeleteMarker, "dispose", dispose)  # noqa: B010


@fix
def sqs_event_source_polled_locally() -> None:
    """The mapping stays (Terraform creates, reads and deletes it); moto's inline delivery is detached so
    the local event source stand-in is the only consumer, as Lambda's poller is in AWS."""
    from moto.awslambda.models import LambdaBackend  # noqa: PLC0415
    from moto.sqs.models import sqs_backends  # noqa: PLC0415

    plain = LambdaBackend.create_event_source_mapping

    def create_event_source_mapping(self: Any, spec: dict[str, Any]) -> Any:
        mapping = plain(self, spec)
        for queue in sqs_backends[self.account_id][self.region_name].queues.values():
            if queue.queue_arn == mapping.event_source_arn:
                queue.lambda_event_source_mappings.pop(mapping.function_arn, None)
        return mapping

    LambdaBackend.create_event_source_mapping = create_event_source_mapping  # type: ignore[method-assign]


@fix
def s3_object_lock_with_objects() -> None:
    """S3 enables or changes Object Lock on any versioned bucket, objects or not (S3 user guide,
    "Enable Object Lock on an existing bucket", since 2023); the provider's destroy of a lock
    configuration is such a call, on the audit bucket with its locked records."""
    from moto.s3.exceptions import InvalidBucketState  # noqa: PLC0415
    from moto.s3.models import S3Backend  # noqa: PLC0415

    def put_object_lock_configuration(  # noqa: PLR0917 (moto's own signature)
        self: Any, bucket_name: str, lock_enabled: bool, mode: str | None = None, days: int | None = None,
        years: int | None = None,
    ) -> None:  # fmt: skip
        bucket = self.get_bucket(bucket_name)
        if not bucket.is_versioned:
            raise InvalidBucketState("Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration")
        if lock_enabled:
            bucket.object_lock_enabled = True
        bucket.default_lock_mode, bucket.default_lock_days, bucket.default_lock_years = mode, days, years

    S3Backend.put_object_lock_configuration = put_object_lock_configuration  # type: ignore[method-assign]


@fix
def ecr_manifest_digest() -> None:
    from moto.ecr.models import Image  # noqa: PLC0415

    def create_digest(self: Any) -> None:
        self._image_digest = "sha256:" + hashlib.sha256(self.image_manifest.encode("utf-8")).hexdigest()

    Image._create_digest = create_digest  # type: ignore[method-assign]


@fix
def events_schedule_rules_match_no_event() -> None:
    """A rule has an event pattern, a schedule, or both (EventBridge user guide, "Rules"); a schedule
    rule is run by its schedule, never by an event on the bus."""
    from moto.events.models import Rule  # noqa: PLC0415

    plain = Rule.send_to_targets

    def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
        if self.scheduled_expression and not self.event_pattern.dump():
            return
        plain(self, original_event, transform_input)

    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]


@fix
def sfn_task_failure_cause() -> None:
    """SendTaskFailure's cause is the task's error cause (Step Functions API reference): a Catch's
    ResultPath gets {Error, Cause}. moto's response handler passes the error only."""
    from moto.stepfunctions.responses import StepFunctionResponse  # noqa: PLC0415

    def send_task_failure(self: Any) -> Any:
        from moto.core.responses import EmptyResult  # noqa: PLC0415

        self.stepfunction_backend.send_task_failure(
            self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
        )
        return EmptyResult()

    setattr(StepFunctionResponse, "send_task_failure", send_task_failure)  # noqa: B010


@fix
def lambda_esm_keeps_alias_arn() -> None:
    """A mapping made for an alias invokes the alias (whatever version it points at later): AWS keeps
    the alias-qualified ARN as its FunctionArn; moto resolved it to the version it pointed at then."""
    from moto.awslambda.models import LambdaBackend  # noqa: PLC0415

    plain = LambdaBackend.create_event_source_mapping

    def create_event_source_mapping(self: Any, spec: dict[str, Any]) -> Any:
        requested = str(spec.get("FunctionName", ""))
        mapping = plain(self, spec)
        base = mapping.function_arn.rsplit(":", 1)[0] if mapping.function_arn.count(":") > 6 else mapping.function_arn
        if requested.startswith("arn:") and requested.count(":") == 7:
            qualified = requested
        elif not requested.startswith("arn:") and ":" in requested:
            qualified = f"{base}:{requested.split(':', 1)[1]}"
        else:
            return mapping
        mapping.function_arn = qualified
        return mapping

    LambdaBackend.create_event_source_mapping = create_event_source_mapping  # type: ignore[method-assign]


@fix
def sfn_callback_attempt_token() -> None:
    """Each attempt of a `.waitForTaskToken` task gets its own task token (the context object's
    `$$.Task.Token` is the token of the task being scheduled), so it waits for its own outcome. moto
    made one token per state entry: after an attempt failed by SendTaskFailure (bda_orchestrator fails
    its own task to wait for a BDA slot), every retry found that outcome still there and failed at once,
    until the Retry ran out."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import (  # noqa: PLC0415
        ResourceCondition,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (  # noqa: PLC0415
        StateTaskServiceCallback,
    )

    plain = StateTaskServiceCallback._eval_execution

    def _eval_execution(self: Any, env: Any) -> None:
        context = env.states.context_object.context_object_data
        retried = context.get("State", {}).get("RetryCount", 0) > 0
        if retried and self._is_integration_pattern() and self.resource.condition == ResourceCondition.WaitForTaskToken:
            env.callback_pool_manager.add(env.states.context_object.update_task_token())
        plain(self, env)

    StateTaskServiceCallback._eval_execution = _eval_execution  # type: ignore[method-assign]


@fix
def cloudwatch_describe_alarms_filters() -> None:
    """DescribeAlarms with a name prefix and a state returns the alarms that match both (the traffic
    shift asks for the env's alarms in ALARM); moto honoured the prefix and dropped the state."""
    from moto.cloudwatch.responses import CloudWatchResponse  # noqa: PLC0415

    plain = CloudWatchResponse.describe_alarms

    def describe_alarms(self: Any) -> Any:
        state = self._get_param("StateValue")
        answer = plain(self)
        narrowed = any(self._get_param(key) for key in ("AlarmNamePrefix", "AlarmNames", "ActionPrefix"))
        if state and narrowed:
            result: dict[str, Any] = answer.result  # type: ignore[assignment]
            for kind in ("MetricAlarms", "CompositeAlarms"):
                result[kind] = [a for a in result[kind] if a.state_value == state]
        return answer

    CloudWatchResponse.describe_alarms = describe_alarms  # type: ignore[method-assign]


@fix
def budgets_describe_subscribers() -> None:
    """The provider reads each budget notification's subscribers (the alarm topic): moto stores them
    with the notification and answered 500 (not implemented), which the provider retried for minutes."""
    from moto.budgets.exceptions import NotFoundException  # noqa: PLC0415
    from moto.budgets.responses import BudgetsResponse  # noqa: PLC0415

    keys = ("NotificationType", "ComparisonOperator", "ThresholdType")

    def same(stored: dict[str, Any], asked: dict[str, Any]) -> bool:
        threshold = float(stored.get("Threshold", 0)) == float(asked.get("Threshold", 0))
        return threshold and all(stored.get(k) == asked.get(k) for k in keys)

    def describe_subscribers_for_notification(self: Any) -> str:
        budgets = self.backend.budgets.get(self._get_param("AccountId"), {})
        budget = budgets.get(self._get_param("BudgetName"))
        asked = self._get_param("Notification") or {}
        found = [n for n in (budget.notifications if budget else []) if same(n.details, asked)]
        if not found:
            raise NotFoundException("Unable to describe subscribers - the notification doesn't exist.")
        return json.dumps({"Subscribers": found[0].subscribers})

    setattr(BudgetsResponse, "describe_subscribers_for_notification", describe_subscribers_for_notification)  # noqa: B010


@fix
def budgets_tags() -> None:
    """A budget's tags (the provider's default tags: cost allocation) are kept and listed, as for any
    taggable resource; moto ignored them and answered 500 to the provider's read."""
    from moto.budgets.responses import BudgetsResponse  # noqa: PLC0415

    tags: dict[str, dict[str, str]] = {}  # budget ARN -> tags
    plain_create, plain_delete = BudgetsResponse.create_budget, BudgetsResponse.delete_budget

    def arn(self: Any, name: str) -> str:
        return f"arn:aws:budgets::{self._get_param('AccountId')}:budget/{name}"

    def create_budget(self: Any) -> str:
        answer = plain_create(self)
        given = self._get_param("ResourceTags") or []
        tags[arn(self, self._get_param("Budget")["BudgetName"])] = {t["Key"]: t["Value"] for t in given}
        return answer

    def delete_budget(self: Any) -> str:
        tags.pop(arn(self, self._get_param("BudgetName")), None)
        return plain_delete(self)

    def list_tags_for_resource(self: Any) -> str:
        held = tags.get(self._get_param("ResourceARN"), {})
        return json.dumps({"ResourceTags": [{"Key": k, "Value": v} for k, v in held.items()]})

    def tag_resource(self: Any) -> str:
        held = tags.setdefault(self._get_param("ResourceARN"), {})
        held.update({t["Key"]: t["Value"] for t in self._get_param("ResourceTags") or []})
        return "{}"

    def untag_resource(self: Any) -> str:
        held = tags.setdefault(self._get_param("ResourceARN"), {})
        for key in self._get_param("ResourceTagKeys") or []:
            held.pop(key, None)
        return "{}"

    for name, method in (
        ("create_budget", create_budget), ("delete_budget", delete_budget),
        ("list_tags_for_resource", list_tags_for_resource), ("tag_resource", tag_resource),
        ("untag_resource", untag_resource),
    ):  # fmt: skip
        setattr(BudgetsResponse, name, method)


def install() -> list[str]:
    """Apply every fix once per process (moto's classes are process-wide); the names applied."""
    from moto.core.config import default_user_config  # noqa: PLC0415

    default_user_config["stepfunctions"] = {"execute_state_machine": True}
    default_user_config["lambda"] = {"use_docker": False}
    for name, function in FIXES.items():
        if name not in _INSTALLED:
            function()
            _INSTALLED.add(name)
    return sorted(_INSTALLED)
