"""The whole stack applied with Terraform onto the embedded AWS: apply, plan, destroy, leftovers.

The configuration is the composition of live/_units (idp.local.composition); the provider is the
real hashicorp/aws build (idp.terraform). What this proves: the modules apply, a second plan has
nothing to change, and a destroy (after the one documented decommission step) leaves nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from idp.local.aws_server import LocalAwsServer
from idp.local.composition import LocalAccount, write
from idp.terraform import TerraformError, seed_lock_file, terraform_binary, terraform_env

Progress = Callable[[str], None]
# The one resource a destroy may not remove (lifecycle.prevent_destroy): decommissioning an account
# takes it out of state first, then empties and deletes it (docs/infrastructure.md: Remove an environment).
PROTECTED = ("module.state_backend.aws_s3_bucket.state",)
PARALLELISM = "-parallelism=20"  # the provider waits out propagation delays; waiting runs side by side


@dataclass(frozen=True)
class Timings:
    apply: float = 0.0
    plan: float = 0.0
    destroy: float = 0.0


class LocalStack:
    def __init__(
        self,
        server: LocalAwsServer,
        work_dir: Path,
        account: LocalAccount,
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.server = server
        self.overrides = overrides
        self.work_dir = work_dir
        self.account = account
        self._env = terraform_env()
        self._binary = terraform_binary()

    def _run(self, argv: list[str], progress: Progress | None = None, *, ok: tuple[int, ...] = (0,)) -> tuple[int, str]:
        # Its own process group: an interrupt (Ctrl-C) stops Terraform *and* its provider plugins here,
        # not whatever Terraform had time to do with a SIGINT of its own.
        proc = subprocess.Popen(
            [self._binary, *argv, "-no-color"],
            cwd=self.work_dir,
            env=self._env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        assert proc.stdout is not None  # noqa: S101
        lines = []
        try:
            for line in proc.stdout:
                lines.append(line)
                if progress is not None and line.strip():
                    progress(line.rstrip())
        except BaseException:
            stop_group(proc)
            raise
        code = proc.wait()
        output = "".join(lines)
        if code not in ok:
            failed = TerraformError(argv[0], code, output)
            diagnosis = self.server.recorder.diagnosis(self.server.recorder.phase)  # still the run's phase
            if diagnosis:
                failed.add_note(diagnosis)
            raise failed
        return code, output

    def init(self) -> None:
        write(self.work_dir, self.server.endpoint, self.account, overrides=self.overrides)
        seed_lock_file(self.work_dir)
        try:
            self._run(["init", "-input=false"])
        except TerraformError as failed:
            failed.summary += provider_hint(failed.errors)
            raise

    def apply(self, progress: Progress | None = None) -> float:
        started = time.monotonic()
        with self.server.phase("apply"):
            self._run(["apply", "-auto-approve", "-input=false", PARALLELISM], progress)
        return time.monotonic() - started

    def forget(self) -> None:
        """Drop the local state: the next apply starts from nothing (on a fresh embedded AWS)."""
        for name in ("terraform.tfstate", "terraform.tfstate.backup"):
            (self.work_dir / name).unlink(missing_ok=True)

    def plan(self, *, refresh: bool = True, phase: str = "plan") -> tuple[int, str]:
        """terraform plan -detailed-exitcode: 0 nothing to change, 2 changes (the text says which).
        refresh=False: a pull request's plan (against the state, reading no resource)."""
        options = [] if refresh else ["-refresh=false"]
        with self.server.phase(phase):
            return self._run(["plan", "-detailed-exitcode", "-input=false", PARALLELISM, *options], ok=(0, 2))

    def outputs(self) -> dict[str, Any]:
        _, text = self._run(["output", "-json"])
        return {name: value["value"] for name, value in json.loads(text).items()}

    def destroy(self, progress: Progress | None = None) -> float:
        started = time.monotonic()
        with self.server.phase("destroy"):
            for address in PROTECTED:
                self._run(["state", "rm", address])
            # The plan before it has just refreshed the state: no second refresh.
            self._run(["destroy", "-auto-approve", "-input=false", "-refresh=false", PARALLELISM], progress)
            self._decommission_state_bucket()
        return time.monotonic() - started

    def client(self, service: str) -> Any:
        return self.server.client(service, self.account.region)

    def _decommission_state_bucket(self) -> None:
        s3 = self.client("s3")
        for bucket in [b["Name"] for b in paginate(s3, "list_buckets", "Buckets") if "-terraform-state-" in b["Name"]]:
            for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
                for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
                    s3.delete_object(Bucket=bucket, Key=item["Key"], VersionId=item["VersionId"])
            s3.delete_bucket(Bucket=bucket)

    def leftovers(self) -> list[str]:
        """Every resource of ours still in the embedded AWS (KMS keys pending deletion count as gone)."""
        return [f"{kind}: {name}" for kind, names in _inventory(self.client).items() for name in names]


# Terraform's words when init cannot get a provider (not when a module does not parse: #22 row 6).
PROVIDER_ERRORS = (
    "Failed to query available provider packages",
    "Failed to install provider",
    "Could not retrieve the list of available versions",
    "Incompatible provider version",
)


def provider_hint(errors: str) -> str:
    """Where the provider comes from - said only when init failed to get one."""
    if not any(phrase in errors for phrase in PROVIDER_ERRORS):
        return ""
    return (
        " (the hashicorp/aws provider comes from the registry, which needs the network, or from a "
        "filesystem mirror: IDP_TF_PROVIDER_MIRROR; README: Prerequisites)"
    )


def stop_group(proc: subprocess.Popen[str], grace: float = 5.0) -> None:
    """End a process and everything it started (Terraform and its provider plugins): SIGTERM to the
    group, then SIGKILL to whatever is left after `grace` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, grace)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(wait)
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                return  # the leader and every member are gone


def paginate(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    """Every item of every page (a list call read without its paginator sees the first page only)."""
    return [item for page in client.get_paginator(operation).paginate(**kwargs) for item in page.get(key, [])]


def _customer_key(metadata: dict[str, Any]) -> bool:
    """A key of ours that still exists (AWS-managed keys and keys pending deletion are not)."""
    return metadata.get("KeyManager") != "AWS" and metadata["KeyState"] != "PendingDeletion"


def _customer_alias(alias: dict[str, Any]) -> bool:
    return "TargetKeyId" in alias and not alias["AliasName"].startswith("alias/aws/")


def _inventory(client: Callable[[str], Any]) -> dict[str, list[str]]:
    kms = client("kms")
    keys = [k["KeyId"] for k in paginate(kms, "list_keys", "Keys")]
    iam = client("iam")
    return {
        "s3 bucket": [b["Name"] for b in paginate(client("s3"), "list_buckets", "Buckets")],
        "dynamodb table": paginate(client("dynamodb"), "list_tables", "TableNames"),
        "sqs queue": paginate(client("sqs"), "list_queues", "QueueUrls"),
        "lambda function": [f["FunctionName"] for f in paginate(client("lambda"), "list_functions", "Functions")],
        "lambda event source mapping": [
            m["UUID"] for m in paginate(client("lambda"), "list_event_source_mappings", "EventSourceMappings")
        ],
        "iam role": [r["RoleName"] for r in paginate(iam, "list_roles", "Roles")],
        "iam policy": [p["PolicyName"] for p in paginate(iam, "list_policies", "Policies", Scope="Local")],
        # (ListOpenIDConnectProviders returns every provider at once: no pages)
        "iam oidc provider": [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]],
        "kms key": [
            f"{m['KeyId']} ({m.get('Description') or 'no description'})"
            for m in (kms.describe_key(KeyId=k)["KeyMetadata"] for k in keys)
            if _customer_key(m)
        ],
        "kms alias": [a["AliasName"] for a in paginate(kms, "list_aliases", "Aliases") if _customer_alias(a)],
        "log group": [g["logGroupName"] for g in paginate(client("logs"), "describe_log_groups", "logGroups")],
        "sns topic": [t["TopicArn"] for t in paginate(client("sns"), "list_topics", "Topics")],
        "state machine": [m["name"] for m in paginate(client("stepfunctions"), "list_state_machines", "stateMachines")],
        "rest api": [a["name"] for a in paginate(client("apigateway"), "get_rest_apis", "items")],
        "event rule": [r["Name"] for r in paginate(client("events"), "list_rules", "Rules")],
        "ecr repository": [
            r["repositoryName"] for r in paginate(client("ecr"), "describe_repositories", "repositories")
        ],
        "secret": [
            s["Name"]
            for s in paginate(client("secretsmanager"), "list_secrets", "SecretList")
            if "DeletedDate" not in s
        ],
        "alarm": [a["AlarmName"] for a in paginate(client("cloudwatch"), "describe_alarms", "MetricAlarms")],
        "dashboard": [
            d["DashboardName"] for d in paginate(client("cloudwatch"), "list_dashboards", "DashboardEntries")
        ],
        "ssm parameter": [p["Name"] for p in paginate(client("ssm"), "describe_parameters", "Parameters")],
    }
