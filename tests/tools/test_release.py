"""idp release: env facts from live/, digest manifests with history (rollback)."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from idp.cli import app
from idp.naming import FUNCTIONS
from idp.release import (
    Release,
    current_manifest,
    current_release,
    env_info,
    merge,
    previous_manifest,
    read_built,
    record_release,
    restorable,
    validate_digests,
)

runner = CliRunner()


def digests(tag: str) -> dict[str, str]:
    return dict.fromkeys(FUNCTIONS, "sha256:" + (tag * 64)[:64])


def test_env_facts_come_from_account_hcl() -> None:
    info = env_info("prod")
    assert info.account_id == "333333333333"
    assert info.apply_role_arn == "arn:aws:iam::333333333333:role/idp-platform-prod-apply"
    assert info.plan_role_arn.endswith(":role/idp-platform-prod-plan")
    assert info.ecr_registry == "333333333333.dkr.ecr.eu-west-1.amazonaws.com"
    with pytest.raises(ValueError, match="known: dev, prod, test"):
        env_info("staging")


def test_merge_and_validate() -> None:
    deployed = digests("a")
    merged = merge(deployed, {"sqs_poller": "sha256:" + "b" * 64})
    assert merged["sqs_poller"].endswith("b" * 64)
    assert merged["status_updater"] == deployed["status_updater"]
    assert validate_digests(merged) == []
    assert "dlq_analyzer: no digest" in validate_digests({k: v for k, v in merged.items() if k != "dlq_analyzer"})
    assert validate_digests({**merged, "sqs_poller": "latest"}) == ["sqs_poller: 'latest' is not sha256:<64 hex>"]


def test_built_digest_files(tmp_path: Path) -> None:
    (tmp_path / "digest-sqs_poller.json").write_text(
        json.dumps({"function": "sqs_poller", "digest": "sha256:" + "c" * 64})
    )
    assert read_built(tmp_path) == {"sqs_poller": "sha256:" + "c" * 64}


@mock_aws
def test_manifest_history_gives_the_rollback_target() -> None:
    ssm = boto3.client("ssm", region_name="eu-west-1")
    assert current_manifest(ssm, "dev") == {}
    record_release(ssm, "dev", Release("a" * 40, digests("a")))
    with pytest.raises(ValueError, match="nothing to roll back to"):
        previous_manifest(ssm, "dev")
    record_release(ssm, "dev", Release("b" * 40, digests("b")))
    assert current_manifest(ssm, "dev") == digests("b")
    assert current_release(ssm, "dev") == Release("b" * 40, digests("b"))
    assert previous_manifest(ssm, "dev") == digests("a")


@mock_aws
def test_a_release_is_restorable_only_with_its_commit_and_every_image() -> None:
    ssm = boto3.client("ssm", region_name="eu-west-1")
    with pytest.raises(ValueError, match="nothing to roll back to"):
        restorable(current_release(ssm, "dev"), "dev")
    # A manifest from before releases named their commit: read as images only, not restorable.
    ssm.put_parameter(Name="/idp/dev/release/image-digests", Value=json.dumps(digests("a")), Type="String")
    assert current_manifest(ssm, "dev") == digests("a")
    with pytest.raises(ValueError, match="names no commit"):
        restorable(current_release(ssm, "dev"), "dev")
    with pytest.raises(ValueError, match="incomplete"):
        restorable(Release("c" * 40, {"sqs_poller": "sha256:" + "c" * 64}), "dev")
    good = Release("c" * 40, digests("c"))
    assert restorable(good, "dev") == good


@mock_aws
def test_cli_digests_refuses_an_incomplete_map(tmp_path: Path) -> None:
    result = runner.invoke(app, ["release", "digests", "--env", "dev"])
    assert result.exit_code == 1
    assert "incomplete image digests" in result.output
    record = runner.invoke(
        app, ["release", "record", "--env", "dev", "--digests", json.dumps(digests("d")), "--commit", "d" * 40]
    )
    assert record.exit_code == 0
    result = runner.invoke(app, ["release", "digests", "--env", "dev"])
    assert json.loads(result.output) == digests("d")


@mock_aws
def test_protect_tags_every_image_of_a_release_and_a_rerun_changes_nothing() -> None:
    """The tag is what ECR's lifecycle rule 1 (modules/ecr) keeps forever: a rollback finds the images."""
    from idp.naming import repository
    from idp.release import protect_images, release_tag

    ecr = boto3.client("ecr", region_name="eu-west-1")
    manifests = {}
    for function in FUNCTIONS:
        ecr.create_repository(repositoryName=repository(function), imageTagMutability="IMMUTABLE")
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"digest": f"sha256:{function}"},
                "layers": [],
            }
        )
        pushed = ecr.put_image(repositoryName=repository(function), imageManifest=manifest, imageTag="c0ffee")
        manifests[function] = pushed["image"]["imageId"]["imageDigest"]
    release = Release("f" * 40, manifests)
    assert protect_images(ecr, "prod", release) == [
        f"{repository(f)}:release-prod-ffffffffffff" for f in sorted(FUNCTIONS)
    ]
    assert protect_images(ecr, "prod", release)  # a re-run: the tags exist already
    image = ecr.describe_images(
        repositoryName=repository("sqs_poller"), imageIds=[{"imageDigest": manifests["sqs_poller"]}]
    )
    assert sorted(image["imageDetails"][0]["imageTags"]) == ["c0ffee", release_tag("prod", "f" * 40)]
    with pytest.raises(ValueError, match="is not in the registry"):
        protect_images(ecr, "prod", Release("f" * 40, {"sqs_poller": "sha256:" + "0" * 64}))


def test_the_lifecycle_never_expires_a_release_image() -> None:
    """Rule 1 (highest priority) matches the release tag and expires nothing in practice; the count rule
    that expires old images comes after it, so it cannot touch them."""
    import re as regex

    from idp.release import RELEASE_TAG_PREFIX
    from tests.infra.hcl_model import REPO_ROOT

    text = (REPO_ROOT / "modules" / "ecr" / "main.tf").read_text()
    priorities = [int(p) for p in regex.findall(r"rulePriority = (\d+)", text)]
    first = text[text.index("rulePriority = 1") : text.index("rulePriority = 2")]
    assert priorities == sorted(priorities)
    assert f'tagPrefixList = ["{RELEASE_TAG_PREFIX}"]' in first
    assert "countNumber = 9999" in first
    assert 'tagStatus = "any"' in text[text.index(f"rulePriority = {max(priorities)}") :]


def test_a_never_released_env_takes_what_its_predecessor_promoted_else_placeholders_only_for_plans() -> None:
    from idp.release import PLACEHOLDER_DIGEST, deploy_digests

    released = deploy_digests("test", digests("a"), {"sqs_poller": "sha256:" + "b" * 64})
    assert released.source == "the test release"
    assert released.digests["sqs_poller"] == "sha256:" + "b" * 64
    promoted = deploy_digests("staging", {}, {}, promoted=digests("c"), promoted_from="test")
    assert promoted.digests == digests("c")
    assert promoted.source == "promoted from test in this run"
    with pytest.raises(ValueError, match=r"incomplete image digests \(staging was never released\)"):
        deploy_digests("staging", {}, {"sqs_poller": "sha256:" + "b" * 64})  # an apply never gets placeholders
    planned = deploy_digests("staging", {}, {"sqs_poller": "sha256:" + "b" * 64}, placeholders=True)
    assert planned.digests["sqs_poller"] == "sha256:" + "b" * 64
    assert set(planned.placeholders) == set(FUNCTIONS) - {"sqs_poller"}
    assert {planned.digests[fn] for fn in planned.placeholders} == {PLACEHOLDER_DIGEST}
