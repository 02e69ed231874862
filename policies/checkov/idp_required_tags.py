"""Custom checkov policy IDP_AWS_2: the required tags come from the provider's default_tags.

Every AWS resource gets Project, Environment, ManagedBy, CostCenter and Owner from the root
Terragrunt provider's default_tags (tests/infra checks that block and that no module declares a
provider of its own, which would drop them). What a module can still get wrong is a resource that
sets one of those keys itself and so overrides the account-wide value; this check forbids that.
"""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

REQUIRED = frozenset({"Project", "Environment", "ManagedBy", "CostCenter", "Owner"})


class RequiredTagsFromProvider(BaseResourceCheck):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(
            name="Ensure resources leave the required tags to the provider's default_tags",
            id="IDP_AWS_2",
            categories=[CheckCategories.CONVENTION],
            supported_resources=["aws_*"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        tags = conf.get("tags")
        tags = tags[0] if isinstance(tags, list) and tags else tags
        if isinstance(tags, dict) and REQUIRED & set(tags):
            return CheckResult.FAILED
        return CheckResult.PASSED


check = RequiredTagsFromProvider()
