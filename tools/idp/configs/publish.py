"""Publish validated doc-configs to one environment: S3, the config-cache table, BDA blueprints,
then bump the config-version parameter so warm Lambdas reload. A second publish changes nothing."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from idp.configs.validate import FILES, LoadedType
from idp.naming import Names

S3_PREFIX = "doc-configs/"
BLUEPRINT_STAGE = "LIVE"


# Photographs and scans of documents arrive as JPEG and PNG too (the types allow them). BDA routes
# those to IMAGE processing unless the project says otherwise - and an image gets no document
# blueprint, so no classification or extraction (Bedrock API reference, ModalityRoutingConfiguration:
# "Sets whether JPEG files are routed to document or image processing"). Every file we take is a
# document: route them to DOCUMENT.
OVERRIDES: dict[str, Any] = {"modalityRouting": {"jpeg": "DOCUMENT", "png": "DOCUMENT"}}


class BlueprintRegistry(Protocol):
    def existing(self, names: set[str]) -> dict[str, tuple[str, str]]:
        """name -> (arn, schema JSON) for the blueprints among `names` that exist."""
        ...

    def create(self, name: str, schema: str) -> str: ...

    def update(self, arn: str, schema: str) -> None: ...

    def project(self, name: str, *, apply: bool) -> tuple[str | None, bool]:
        """The ARN of the BDA project called `name` and whether it had to be created (None: not yet, dry run)."""
        ...

    def attach(self, project_arn: str | None, arns: list[str], *, apply: bool) -> bool:
        """Make these the project's custom-output blueprints (only if `apply`); True if that is a change."""
        ...


# What the project extracts besides the blueprints' custom output: the document's text, per page,
# for the language detector. Bounding boxes and generative fields cost and are not used.
STANDARD_OUTPUT: dict[str, Any] = {
    "document": {
        "extraction": {"granularity": {"types": ["DOCUMENT", "PAGE"]}, "boundingBox": {"state": "DISABLED"}},
        "generativeField": {"state": "DISABLED"},
        "outputFormat": {"textFormat": {"types": ["PLAIN_TEXT"]}, "additionalFileFormat": {"state": "DISABLED"}},
    }
}


class BdaBlueprints:
    """The real `bedrock-data-automation` control plane behind BlueprintRegistry.

    It owns the BDA project too: no provider release in the range the modules support (hashicorp/aws
    5.100 to 6.x) has a resource for it that this repository can test, while this client's calls are
    checked against the service's own model (botocore Stubber) - see docs/adr/0001-provider-policy.md.
    """

    def __init__(self, client: Any) -> None:
        self._client = client

    def existing(self, names: set[str]) -> dict[str, tuple[str, str]]:
        found: dict[str, tuple[str, str]] = {}
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"resourceOwner": "ACCOUNT", "blueprintStageFilter": BLUEPRINT_STAGE}
            if token:
                kwargs["nextToken"] = token
            page = self._client.list_blueprints(**kwargs)
            for summary in page.get("blueprints", []):
                name = summary.get("blueprintName")
                if name in names:
                    blueprint = self._client.get_blueprint(
                        blueprintArn=summary["blueprintArn"], blueprintStage=BLUEPRINT_STAGE
                    )["blueprint"]
                    found[name] = (blueprint["blueprintArn"], blueprint["schema"])
            token = page.get("nextToken")
            if not token:
                return found

    def create(self, name: str, schema: str) -> str:
        response = self._client.create_blueprint(
            blueprintName=name, type="DOCUMENT", blueprintStage=BLUEPRINT_STAGE, schema=schema
        )
        return str(response["blueprint"]["blueprintArn"])

    def update(self, arn: str, schema: str) -> None:
        self._client.update_blueprint(blueprintArn=arn, schema=schema, blueprintStage=BLUEPRINT_STAGE)

    def project(self, name: str, *, apply: bool) -> tuple[str | None, bool]:
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"projectStageFilter": BLUEPRINT_STAGE, "resourceOwner": "ACCOUNT"}
            if token:
                kwargs["nextToken"] = token
            page = self._client.list_data_automation_projects(**kwargs)
            for summary in page.get("projects", []):
                if summary.get("projectName") == name:
                    return str(summary["projectArn"]), False
            token = page.get("nextToken")
            if not token:
                break
        if not apply:
            return None, True
        created = self._client.create_data_automation_project(
            projectName=name,
            projectDescription="IDP document types (doc-configs/), managed by `idp configs publish`",
            projectStage=BLUEPRINT_STAGE,
            standardOutputConfiguration=STANDARD_OUTPUT,
            overrideConfiguration=OVERRIDES,
            clientToken=hashlib.sha256(name.encode()).hexdigest(),  # a retried create is one project (33-256 chars)
        )
        return str(created["projectArn"]), True

    def attach(self, project_arn: str | None, arns: list[str], *, apply: bool) -> bool:
        if project_arn is None:
            return bool(arns)
        project = self._client.get_data_automation_project(projectArn=project_arn, projectStage=BLUEPRINT_STAGE)[
            "project"
        ]
        current = {b["blueprintArn"] for b in project.get("customOutputConfiguration", {}).get("blueprints", [])}
        routing = (project.get("overrideConfiguration") or {}).get("modalityRouting")
        if current == set(arns) and routing == OVERRIDES["modalityRouting"]:
            return False
        if not apply:
            return True
        self._client.update_data_automation_project(
            projectArn=project_arn,
            projectStage=BLUEPRINT_STAGE,
            standardOutputConfiguration=project.get("standardOutputConfiguration") or STANDARD_OUTPUT,
            customOutputConfiguration={
                "blueprints": [{"blueprintArn": arn, "blueprintStage": BLUEPRINT_STAGE} for arn in sorted(arns)]
            },
            # A project made before the routing gets it; its other overrides stay.
            overrideConfiguration=(project.get("overrideConfiguration") or {}) | OVERRIDES,
        )
        return True


@dataclass(frozen=True)
class Target:
    bucket: str
    table: str
    version_parameter: str
    bda_project: str  # the project's name
    bda_project_parameter: str  # where its ARN is published for bda_orchestrator

    @classmethod
    def of(cls, names: Names) -> Target:
        return cls(
            names.config_bucket,
            names.config_table,
            names.config_version_parameter,
            names.bda_project,
            names.bda_project_parameter,
        )


@dataclass
class PublishReport:
    changes: list[str] = field(default_factory=list)
    version: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def config_version(types: Mapping[str, LoadedType]) -> str:
    """One hash over every type's content: equal content, equal version (so publishing is idempotent)."""
    digest = hashlib.sha256()
    for name in sorted(types):
        digest.update(f"{name}:{types[name].content_hash}:{_sha256(types[name].blueprint.encode())};".encode())
    return digest.hexdigest()[:32]


def _published_objects(s3: Any, bucket: str) -> dict[str, str]:
    """key -> sha256 metadata of what is in the config bucket now."""
    objects: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=S3_PREFIX):
        for item in page.get("Contents", []):
            head = s3.head_object(Bucket=bucket, Key=item["Key"])
            objects[item["Key"]] = head.get("Metadata", {}).get("sha256", "")
    return objects


def _published_items(dynamodb: Any, table: str) -> dict[str, str]:
    items: dict[str, str] = {}
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        for item in page.get("Items", []):
            items[item["document_type"]["S"]] = item.get("content_hash", {}).get("S", "")
    return items


def _sync_project(
    blueprints: BlueprintRegistry, ssm: Any, target: Target, act: bool, report: PublishReport
) -> str | None:
    """The BDA project exists and its ARN is where bda_orchestrator reads it (before any blueprint moves)."""
    arn, created = blueprints.project(target.bda_project, apply=act)
    if created:
        report.changes.append(f"bda: create project {target.bda_project}")
    if arn is None:
        report.changes.append(f"ssm: {target.bda_project_parameter} = (the new project's ARN)")
    elif _current_version(ssm, target.bda_project_parameter) != arn:
        report.changes.append(f"ssm: {target.bda_project_parameter} = {arn}")
        if act:
            ssm.put_parameter(Name=target.bda_project_parameter, Value=arn, Type="String", Overwrite=True)
    return arn


def _current_version(ssm: Any, parameter: str) -> str | None:
    try:
        return str(ssm.get_parameter(Name=parameter)["Parameter"]["Value"])
    except ssm.exceptions.ParameterNotFound:
        return None


def _sync_s3(types: Mapping[str, LoadedType], s3: Any, bucket: str, act: bool, report: PublishReport) -> None:
    wanted = {f"{S3_PREFIX}{name}/{file}": t.files[file] for name, t in types.items() for file in FILES}
    present = _published_objects(s3, bucket)
    for key, body in sorted(wanted.items()):
        digest = _sha256(body)
        if present.get(key) == digest:
            continue
        report.changes.append(f"s3: {'update' if key in present else 'create'} s3://{bucket}/{key}")
        if act:
            content_type = "text/plain; charset=utf-8" if key.endswith(".txt") else "application/json"
            s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type, Metadata={"sha256": digest})
    for key in sorted(set(present) - set(wanted)):
        report.changes.append(f"s3: delete s3://{bucket}/{key}")
        if act:
            s3.delete_object(Bucket=bucket, Key=key)


def _sync_blueprints(
    types: Mapping[str, LoadedType],
    blueprints: BlueprintRegistry,
    project_arn: str | None,
    act: bool,
    report: PublishReport,
) -> dict[str, str]:
    """Create or update each type's blueprint and attach them to the project; returns type -> blueprint ARN."""
    by_name = {t.config.classification.blueprint_name: t for t in types.values()}
    existing = blueprints.existing(set(by_name))
    arns: dict[str, str] = {}
    for bp_name, loaded in sorted(by_name.items()):
        if bp_name not in existing:
            report.changes.append(f"bda: create blueprint {bp_name}")
            arns[loaded.name] = blueprints.create(bp_name, loaded.blueprint) if act else f"(new:{bp_name})"
            continue
        arn, schema = existing[bp_name]
        arns[loaded.name] = arn
        if json.loads(schema) != json.loads(loaded.blueprint):
            report.changes.append(f"bda: update blueprint {bp_name}")
            if act:
                blueprints.update(arn, loaded.blueprint)
    if blueprints.attach(project_arn, sorted(arns.values()), apply=act):
        report.changes.append("bda: project blueprints updated")
    return arns


def _sync_table(
    types: Mapping[str, LoadedType],
    arns: Mapping[str, str],
    *,
    dynamodb: Any,
    table: str,
    act: bool,
    report: PublishReport,
) -> None:
    items = _published_items(dynamodb, table)
    for name, loaded in sorted(types.items()):
        if items.get(name) == loaded.content_hash:
            continue
        report.changes.append(f"dynamodb: {'update' if name in items else 'put'} {table}/{name}")
        if act:
            dynamodb.put_item(
                TableName=table,
                Item={
                    "document_type": {"S": name},
                    "config": {"S": loaded.config.model_dump_json()},
                    "schema": {"S": json.dumps(loaded.schema, sort_keys=True)},
                    "prompt": {"S": loaded.prompt},
                    "content_hash": {"S": loaded.content_hash},
                    "blueprint_arn": {"S": arns[name]},
                },
            )
    for name in sorted(set(items) - set(types)):
        report.changes.append(f"dynamodb: delete {table}/{name}")
        if act:
            dynamodb.delete_item(TableName=table, Key={"document_type": {"S": name}})


def publish(
    types: Mapping[str, LoadedType],
    *,
    s3: Any,
    dynamodb: Any,
    ssm: Any,
    blueprints: BlueprintRegistry,
    target: Target,
    dry_run: bool = False,
) -> PublishReport:
    """S3 files, then blueprints, then the cache table, then the version (the signal to reload) last."""
    report = PublishReport(version=config_version(types))
    act = not dry_run
    _sync_s3(types, s3, target.bucket, act, report)
    project_arn = _sync_project(blueprints, ssm, target, act, report)
    arns = _sync_blueprints(types, blueprints, project_arn, act, report)
    _sync_table(types, arns, dynamodb=dynamodb, table=target.table, act=act, report=report)
    if _current_version(ssm, target.version_parameter) != report.version:
        report.changes.append(f"ssm: {target.version_parameter} = {report.version}")
        if act:
            ssm.put_parameter(Name=target.version_parameter, Value=report.version, Type="String", Overwrite=True)
    return report
