"""idp configs validate / publish: problems named by file and JSON pointer; publishing is idempotent."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from typer.testing import CliRunner

from idp.cli import app
from idp.configs.blueprint import BlueprintError, to_blueprint
from idp.configs.publish import STANDARD_OUTPUT, BdaBlueprints, Target, publish
from idp.configs.validate import load_all
from idp.local.bda_double import LocalBlueprints
from tests.conftest import REPO_ROOT, Stack

runner = CliRunner()


@pytest.fixture
def configs(tmp_path: Path) -> Path:
    target = tmp_path / "doc-configs"
    shutil.copytree(REPO_ROOT / "doc-configs", target)
    return target


def edit(path: Path, change: Any) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def test_committed_configs_are_valid() -> None:
    result = runner.invoke(app, ["configs", "validate", str(REPO_ROOT / "doc-configs")])
    assert result.exit_code == 0, result.output
    assert "6 document types valid" in result.output


def test_problems_name_file_and_pointer(configs: Path) -> None:
    edit(configs / "passport" / "config.json", lambda d: d["classification"].update(min_confidence=1.5))
    edit(configs / "invoice" / "config.json", lambda d: d["field_thresholds"].update(iban=0.9))
    edit(configs / "payslip" / "schema.json", lambda d: d["properties"]["net_pay"].pop("description"))
    (configs / "utility-bill" / "prompt.txt").write_text("  \n")
    (configs / "bank-statement" / "schema.json").write_text("{broken")
    result = runner.invoke(app, ["configs", "validate", str(configs)])
    assert result.exit_code == 1
    lines = set(result.output.splitlines())
    assert (
        "doc-configs/passport/config.json: /classification/min_confidence: 1.5 is greater than the maximum of 1"
        in lines
    )
    assert "doc-configs/invoice/config.json: /field_thresholds/iban: 'iban' is not a property of schema.json" in lines
    assert any(
        line.startswith("doc-configs/payslip/schema.json: /properties/net_pay/description: every field")
        for line in lines
    )
    assert "doc-configs/utility-bill/prompt.txt: /: prompt is empty" in lines
    assert any(line.startswith("doc-configs/bank-statement/schema.json: /: invalid JSON at line 1") for line in lines)


def test_missing_file_folder_mismatch_and_duplicate_blueprint(configs: Path) -> None:
    (configs / "payslip" / "prompt.txt").unlink()
    edit(configs / "invoice" / "config.json", lambda d: d.update(document_type="bill"))
    edit(
        configs / "passport" / "config.json", lambda d: d["classification"].update(blueprint_name="idp-drivers-license")
    )
    _, problems = load_all(configs)
    text = [str(p) for p in problems]
    assert any("payslip/prompt.txt: /: missing file" in t for t in text)
    assert any("invoice/config.json: /document_type: must equal the folder name 'invoice'" in t for t in text)
    assert any("/classification/blueprint_name: 'idp-drivers-license' is already used" in t for t in text)


def test_blueprint_conversion() -> None:
    schema = json.loads((REPO_ROOT / "doc-configs/bank-statement/schema.json").read_text())
    blueprint = to_blueprint(schema, "Bank statement")
    assert blueprint["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert blueprint["class"] == "Bank statement"
    assert blueprint["properties"]["transactions"]["items"] == {"$ref": "#/definitions/TransactionsItem"}
    assert blueprint["definitions"]["TransactionsItem"]["properties"]["amount"]["type"] == "number"
    assert blueprint["properties"]["bank_name"]["inferenceType"] == "inferred"
    assert blueprint["properties"]["iban"] == {
        "type": "string",
        "inferenceType": "explicit",
        "instruction": "The account's IBAN without spaces.",
    }
    with pytest.raises(BlueprintError, match=r"/properties/x: type 'null' is not supported"):
        to_blueprint({"properties": {"x": {"type": "null", "description": "d"}}}, "C")


def published(stack: Stack, configs: Path, registry: LocalBlueprints, dry_run: bool = False) -> list[str]:
    types, problems = load_all(configs)
    assert problems == []
    n = stack.names
    return publish(
        types,
        s3=stack.client("s3"),
        dynamodb=stack.client("dynamodb"),
        ssm=stack.client("ssm"),
        blueprints=registry,
        target=Target.of(n),
        dry_run=dry_run,
    ).changes


def test_publish_is_idempotent_and_tracks_changes(stack: Stack, configs: Path) -> None:
    registry = stack.deployment.blueprints  # the stack fixture already published the committed configs
    assert published(stack, configs, registry) == []
    edit(configs / "invoice" / "config.json", lambda d: d.update(retention_days=400))
    edit(configs / "invoice" / "schema.json", lambda d: d["properties"]["due_date"].update(description="When to pay."))
    shutil.rmtree(configs / "payslip")
    planned = published(stack, configs, registry, dry_run=True)
    assert published(stack, configs, registry, dry_run=True) == planned  # a dry run changes nothing
    changes = published(stack, configs, registry)
    assert changes == planned
    n = stack.names
    assert f"s3: update s3://{n.config_bucket}/doc-configs/invoice/config.json" in changes
    assert f"s3: delete s3://{n.config_bucket}/doc-configs/payslip/prompt.txt" in changes
    assert "bda: update blueprint idp-invoice" in changes
    assert f"dynamodb: delete {n.config_table}/payslip" in changes
    assert any(c.startswith(f"ssm: {n.config_version_parameter} = ") for c in changes)
    assert published(stack, configs, registry) == []


BP_ARN = "arn:aws:bedrock:eu-west-1:123456789012:blueprint/abc"
PROJECT = "arn:aws:bedrock:eu-west-1:123456789012:data-automation-project/p1"


def test_real_blueprint_calls_match_the_service_model() -> None:
    client = boto3.client("bedrock-data-automation", region_name="eu-west-1")
    registry = BdaBlueprints(client)
    blueprint = {"blueprintArn": BP_ARN, "schema": "{}", "type": "DOCUMENT", "blueprintName": "idp-invoice"}
    with Stubber(client) as stub:
        stub.add_response(
            "list_blueprints",
            {
                "blueprints": [{"blueprintArn": BP_ARN, "blueprintName": "idp-invoice", "creationTime": "2026-01-01"}],
                "nextToken": "t",
            },
            {"resourceOwner": "ACCOUNT", "blueprintStageFilter": "LIVE"},
        )
        stub.add_response(
            "get_blueprint",
            {"blueprint": blueprint | {"creationTime": "2026-01-01", "lastModifiedTime": "2026-01-01"}},
            {"blueprintArn": BP_ARN, "blueprintStage": "LIVE"},
        )
        stub.add_response(
            "list_blueprints",
            {"blueprints": []},
            {"resourceOwner": "ACCOUNT", "blueprintStageFilter": "LIVE", "nextToken": "t"},
        )
        stub.add_response(
            "create_blueprint",
            {
                "blueprint": blueprint
                | {"blueprintArn": BP_ARN + "2", "creationTime": "2026-01-01", "lastModifiedTime": "2026-01-01"}
            },
            {"blueprintName": "idp-passport", "type": "DOCUMENT", "blueprintStage": "LIVE", "schema": '{"a":1}'},
        )
        stub.add_response(
            "update_blueprint",
            {"blueprint": blueprint | {"creationTime": "2026-01-01", "lastModifiedTime": "2026-01-01"}},
            {"blueprintArn": BP_ARN, "schema": '{"b":2}', "blueprintStage": "LIVE"},
        )
        project = {
            "projectArn": PROJECT,
            "creationTime": "2026-01-01",
            "lastModifiedTime": "2026-01-01",
            "projectName": "p1",
            "status": "COMPLETED",
            "standardOutputConfiguration": {
                "document": {
                    "extraction": {"granularity": {"types": ["DOCUMENT"]}, "boundingBox": {"state": "DISABLED"}}
                }
            },
        }
        stub.add_response(
            "get_data_automation_project", {"project": project}, {"projectArn": PROJECT, "projectStage": "LIVE"}
        )
        stub.add_response(
            "update_data_automation_project",
            {"projectArn": PROJECT},
            {
                "projectArn": PROJECT,
                "projectStage": "LIVE",
                "standardOutputConfiguration": project["standardOutputConfiguration"],
                "customOutputConfiguration": {"blueprints": [{"blueprintArn": BP_ARN, "blueprintStage": "LIVE"}]},
                "overrideConfiguration": {"modalityRouting": {"jpeg": "DOCUMENT", "png": "DOCUMENT"}},
            },
        )
        assert registry.existing({"idp-invoice", "idp-passport"}) == {"idp-invoice": (BP_ARN, "{}")}
        assert registry.create("idp-passport", '{"a":1}') == BP_ARN + "2"
        registry.update(BP_ARN, '{"b":2}')
        assert registry.attach(PROJECT, [BP_ARN], apply=True) is True
        stub.assert_no_pending_responses()


def test_the_project_is_found_by_name_or_created_with_calls_the_service_model_accepts() -> None:
    client = boto3.client("bedrock-data-automation", region_name="eu-west-1")
    registry = BdaBlueprints(client)
    summary = {"projectArn": PROJECT, "projectName": "idp-dev-documents", "creationTime": "2026-01-01"}
    listing = {"projectStageFilter": "LIVE", "resourceOwner": "ACCOUNT"}
    with Stubber(client) as stub:
        stub.add_response("list_data_automation_projects", {"projects": [], "nextToken": "t"}, listing)
        stub.add_response("list_data_automation_projects", {"projects": [summary]}, listing | {"nextToken": "t"})
        stub.add_response("list_data_automation_projects", {"projects": []}, listing)
        stub.add_response("list_data_automation_projects", {"projects": []}, listing)
        stub.add_response(
            "create_data_automation_project",
            {"projectArn": PROJECT + "new"},
            {
                "projectName": "idp-test-documents",
                "projectDescription": ANY,
                "projectStage": "LIVE",
                "standardOutputConfiguration": STANDARD_OUTPUT,
                # JPEG and PNG scans are documents: without this BDA processes them as images
                "overrideConfiguration": {"modalityRouting": {"jpeg": "DOCUMENT", "png": "DOCUMENT"}},
                "clientToken": ANY,
            },
        )
        assert registry.project("idp-dev-documents", apply=True) == (PROJECT, False)  # found on page 2
        assert registry.project("idp-test-documents", apply=False) == (None, True)  # dry run: would create
        assert registry.project("idp-test-documents", apply=True) == (PROJECT + "new", True)
        stub.assert_no_pending_responses()
    assert registry.attach(None, [BP_ARN], apply=False) is True  # a project still to create gets them


def test_publish_creates_the_project_and_records_its_arn(stack: Stack, configs: Path) -> None:
    n = stack.names
    fresh = LocalBlueprints()
    planned = published(stack, configs, fresh, dry_run=True)
    assert f"bda: create project {n.bda_project}" in planned
    assert f"ssm: {n.bda_project_parameter} = (the new project's ARN)" in planned
    changes = published(stack, configs, fresh)
    assert f"bda: create project {n.bda_project}" in changes
    recorded = stack.client("ssm").get_parameter(Name=n.bda_project_parameter)["Parameter"]["Value"]
    assert recorded == fresh.project_arn
    assert published(stack, configs, fresh) == []


def test_a_project_made_before_the_jpeg_png_routing_gets_it_at_the_next_publish() -> None:
    client = boto3.client("bedrock-data-automation", region_name="eu-west-1")
    registry = BdaBlueprints(client)
    routing = {"modalityRouting": {"jpeg": "DOCUMENT", "png": "DOCUMENT"}}
    project = {
        "projectArn": PROJECT,
        "creationTime": "2026-01-01",
        "lastModifiedTime": "2026-01-01",
        "projectName": "p1",
        "status": "COMPLETED",
        "standardOutputConfiguration": STANDARD_OUTPUT,
        "customOutputConfiguration": {"blueprints": [{"blueprintArn": BP_ARN, "blueprintStage": "LIVE"}]},
    }
    key = {"projectArn": PROJECT, "projectStage": "LIVE"}
    with Stubber(client) as stub:
        stub.add_response("get_data_automation_project", {"project": project}, key)
        stub.add_response(
            "update_data_automation_project",
            {"projectArn": PROJECT},
            key
            | {
                "standardOutputConfiguration": STANDARD_OUTPUT,
                "customOutputConfiguration": project["customOutputConfiguration"],
                "overrideConfiguration": routing,
            },
        )
        stub.add_response("get_data_automation_project", {"project": project | {"overrideConfiguration": routing}}, key)
        assert registry.attach(PROJECT, [BP_ARN], apply=True) is True  # same blueprints, routing missing
        assert registry.attach(PROJECT, [BP_ARN], apply=True) is False  # nothing left to change
        stub.assert_no_pending_responses()
