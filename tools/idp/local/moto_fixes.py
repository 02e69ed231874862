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
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

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
