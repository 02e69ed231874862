"""The one naming source for AWS resources. modules/ builds the same names (tests/infra checks both)."""

from __future__ import annotations

from dataclasses import dataclass

FUNCTIONS = (
    "presigned_url_generator",
    "sqs_poller",
    "bda_orchestrator",
    "language_detector",
    "document_classifier",
    "schema_extractor",
    "status_updater",
    "document_cleanup",
    "dlq_analyzer",
)


@dataclass(frozen=True)
class Names:
    project: str
    environment: str
    account_id: str
    region: str

    @property
    def prefix(self) -> str:
        return f"{self.project}-{self.environment}"

    @property
    def workload_boundary(self) -> str:
        return f"{self.prefix}-workload-boundary"

    @property
    def workload_role_path(self) -> str:
        return f"/{self.prefix}/"

    def bucket(self, purpose: str) -> str:
        # S3 names are global: the account id and region make them unique per account.
        return f"{self.prefix}-{purpose}-{self.account_id}-{self.region}"

    @property
    def input_bucket(self) -> str:
        return self.bucket("input")

    @property
    def output_bucket(self) -> str:
        return self.bucket("output")

    @property
    def config_bucket(self) -> str:
        return self.bucket("config")

    @property
    def audit_bucket(self) -> str:
        return self.bucket("audit")

    @property
    def documents_table(self) -> str:
        return f"{self.prefix}-documents"

    @property
    def config_table(self) -> str:
        return f"{self.prefix}-config-cache"

    @property
    def intake_queue(self) -> str:
        return f"{self.prefix}-intake"

    @property
    def intake_dlq(self) -> str:
        return f"{self.prefix}-intake-dlq"

    @property
    def bda_events_queue(self) -> str:
        return f"{self.prefix}-bda-events"

    @property
    def bda_events_dlq(self) -> str:
        return f"{self.prefix}-bda-events-dlq"

    @property
    def bda_events_rule(self) -> str:
        return f"{self.prefix}-bda-job-ended"

    @property
    def callbacks_queue(self) -> str:
        return f"{self.prefix}-callbacks"

    @property
    def callbacks_dlq(self) -> str:
        return f"{self.prefix}-callbacks-dlq"

    @property
    def state_machine(self) -> str:
        return f"{self.prefix}-document-flow"

    @property
    def config_version_parameter(self) -> str:
        return f"/{self.project}/{self.environment}/config-version"

    @property
    def bda_project(self) -> str:
        return f"{self.prefix}-documents"

    @property
    def bda_project_parameter(self) -> str:
        return f"/{self.project}/{self.environment}/bda-project-arn"

    @property
    def callback_secret(self) -> str:
        return f"{self.project}/{self.environment}/callback-signing-secret"

    def function(self, name: str) -> str:
        return f"{self.prefix}-{name.replace('_', '-')}"

    def function_arn(self, name: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function(name)}"

    @property
    def state_machine_arn(self) -> str:
        return f"arn:aws:states:{self.region}:{self.account_id}:stateMachine:{self.state_machine}"


def repository(function: str, project: str = "idp") -> str:
    """The ECR repository of a function's image (modules/ecr: one per function, in the registry account)."""
    return f"{project}/{function.replace('_', '-')}"
