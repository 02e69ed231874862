"""Custom checkov policy IDP_AWS_1: data at rest uses a customer-managed KMS key.

checkov's built-in checks cover some of these types; this one covers every type the IDP stack
stores data in, with the attribute that carries the key for each, so a new queue, topic, table,
log group, secret, function or state machine cannot be added without the stack's key.
"""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

KEY_ATTRIBUTE = {
    "aws_sqs_queue": ("kms_master_key_id",),
    "aws_sns_topic": ("kms_master_key_id",),
    "aws_cloudwatch_log_group": ("kms_key_id",),
    "aws_secretsmanager_secret": ("kms_key_id",),
    "aws_lambda_function": ("kms_key_arn",),
    "aws_dynamodb_table": ("server_side_encryption", "kms_key_arn"),
    "aws_sfn_state_machine": ("encryption_configuration", "kms_key_id"),
}


def _first(value: Any) -> Any:
    # checkov wraps every HCL attribute value in a list
    return value[0] if isinstance(value, list) and value else value


class CustomerManagedKeyEncryption(BaseResourceCheck):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(
            name="Ensure IDP data stores are encrypted with a customer-managed KMS key",
            id="IDP_AWS_1",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=list(KEY_ATTRIBUTE),
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        node: Any = conf
        for part in KEY_ATTRIBUTE[self.entity_type]:
            node = _first(node.get(part)) if isinstance(node, dict) else None
            if node in (None, "", []):
                return CheckResult.FAILED
        return CheckResult.PASSED


check = CustomerManagedKeyEncryption()
