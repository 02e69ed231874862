"""The delivery, as GitHub would run it: act executes the real workflow files (tests/workflows/act.py)
on a GitHub world made for each test - the repository as a remote, pull requests and pushes as events.
`idp` runs for real against the embedded AWS; terragrunt, aws, gh, docker and trivy are recording
stand-ins (stand_in.py), external actions stand-ins built from their source (actions/README.md)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from idp.local.aws_server import LocalAwsServer
from idp.naming import FUNCTIONS
from idp.release import PLACEHOLDER_DIGEST, Release, env_info, manifest_parameter
from tests.conftest import REPO_ROOT
from tests.workflows.act import GitHubWorld, Run, template_remote

PLANS = REPO_ROOT / "tests" / "fixtures" / "plans"
API_URL = "http://127.0.0.1:9/dev"  # nothing listens: the smoke test fails (see the rollback scenarios)
ENVS = ("dev", "test", "prod")


@pytest.fixture(scope="session")
def remote_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return template_remote(tmp_path_factory.mktemp("github"))


@pytest.fixture
def github(tmp_path: Path, remote_template: Path, embedded_aws: LocalAwsServer) -> GitHubWorld:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "clone", "--quiet", "--bare", str(remote_template), str(remote)], check=True)
    world = GitHubWorld(tmp_path, remote, embedded_aws, script={"plan_json": str(PLANS / "every-action.json")})
    world.answer("terragrunt", ["output", "-raw", "api_url"], API_URL)
    world.answer("aws", ["s3", "cp", "-"])
    world.answer("trivy", ["image"])
    world.answer("trivy", ["fs"])
    world.answer("gh", ["api", "/approvals"], "")
    return world


def succeeded(run: Run, *jobs: str) -> None:
    for name in jobs:
        job = run.job(name)
        assert job.result == "success", f"{name}: {job.result}\n{job.text[-4000:]}"


def release(github: GitHubWorld, env: str, commit: str, tag: str = "a") -> Release:
    """The manifest a previous validated deploy recorded in the env's account."""
    recorded = Release(commit, dict.fromkeys(FUNCTIONS, "sha256:" + tag * 64))
    github.client("ssm", env).put_parameter(
        Name=manifest_parameter(env), Value=recorded.to_json(), Type="String", Overwrite=True
    )
    return recorded


def touch(github: GitHubWorld, relative: str, line: str = "# touched\n") -> None:
    path = github.clone / relative
    path.write_text(path.read_text() + line)


def comment(github: GitHubWorld, env: str) -> dict[str, Any]:
    found = [c for c in github.comments() if c["header"] == f"plan-{env}"]
    assert len(found) == 1, github.comments()
    return found[0]


def test_a_pull_request_before_the_first_deploy_plans_with_placeholder_images_and_says_so(
    github: GitHubWorld,
) -> None:
    """No env was ever released (no manifest anywhere): the plan used to fail on `idp release digests`,
    so the required `plans` check could never pass before the first deploy."""
    touch(github, "live/dev/eu-west-1/monitoring/terragrunt.hcl")
    head = github.commit("dev monitoring", branch="pr-1", push=True)
    run = github.act("pull_request", payload=github.pull_request(1, head))
    succeeded(run, "changes", "lint-and-test", "security", "plans")
    assert json.loads(run.job("changes").outputs["envs"]) == ["dev"]
    body = comment(github, "dev")["body"]
    assert "planned with placeholder digests" in body
    assert "dev was never released" in body
    assert "not kept for pull requests" in body  # no link to an artifact a PR never uploads
    assert "workflow artifact" not in body
    assert not github.artifact("plan-dev").exists()
    planned = github.calls("terragrunt")[0]
    assert set(json.loads(planned["env"]["IDP_IMAGE_DIGESTS"]).values()) == {PLACEHOLDER_DIGEST}
    # The branch's own workflow files: the PR plan role (the state only), a plan without a refresh.
    assert planned["env"]["IDP_ASSUMED_ROLE"] == env_info("dev").pr_plan_role_arn
    assert "-refresh=false" in planned["argv"]
    assert "planned without a refresh" in body
    assert [c["argv"] for c in github.calls("make")] == [["test"]]


def test_a_failed_pr_plan_replaces_its_comment_and_fails_the_required_check(github: GitHubWorld) -> None:
    github.script["plan_fails"] = True
    github.save_script()
    touch(github, "live/dev/eu-west-1/monitoring/terragrunt.hcl")
    head = github.commit("dev monitoring", branch="pr-1")
    run = github.act("pull_request", payload=github.pull_request(1, head))
    assert run.job("plan dev").result == "failure"
    assert "The plan of `dev` failed" in comment(github, "dev")["body"]
    # act 0.2.89 ends a run when a job of a called workflow fails (nektos/act#1793): the `plans` job
    # (`if: !cancelled()`) that GitHub runs next is not run here. Its verdict on a failed leg is tested
    # in tests/workflows/test_workflow_runs.py until act runs it.
    assert not run.ran("plans")


def test_a_dispatch_with_the_default_ref_deploys_main(github: GitHubWorld) -> None:
    """The dispatch input's default is `main`; the changes job checks out github.sha detached with all
    history, where main exists only as refs/remotes/origin/main (it failed: 'main' is not a commit)."""
    run = github.act("workflow_dispatch", workflow="deploy.yml", job="changes", inputs={"ref": "main"})
    succeeded(run, "changes")
    assert run.job("changes").outputs["sha"] == github.sha("main")
    assert sorted(json.loads(run.job("changes").outputs["functions"])) == sorted(FUNCTIONS)  # in full


def test_a_dispatch_of_a_tag_deploys_its_commit_and_a_commit_off_main_is_refused(github: GitHubWorld) -> None:
    earlier = github.sha("main~1")
    subprocess.run(["git", "-C", str(github.remote), "tag", "v1.0.0", earlier], check=True)
    run = github.act("workflow_dispatch", workflow="deploy.yml", job="changes", inputs={"ref": "v1.0.0"})
    succeeded(run, "changes")
    assert run.job("changes").outputs["sha"] == earlier
    stray = github.commit("never merged", branch="stray")  # pushed to a branch, not to main
    refused = github.act("workflow_dispatch", workflow="deploy.yml", job="changes", inputs={"ref": stray})
    assert refused.job("changes").result == "failure"
    assert "is not on origin/main" in refused.job("changes").text


def test_the_first_push_to_a_never_deployed_org_builds_everything_and_applies_dev_first(
    github: GitHubWorld,
) -> None:
    """After the bootstrap, no release anywhere and no successful deploy run: every image is built once,
    dev is planned with exactly those images and its reviewed plan applied with dev's apply role. (Its
    doc-configs publish needs BDA's control plane, which has no local server - tested with Stubber in
    tests/tools/test_configs.py - so the job stops there; test and prod are not reached.)"""
    github.answer("gh", ["api", "actions/workflows/deploy.yml/runs"], "")  # no deploy run succeeded yet
    run = github.act("push", workflow="deploy.yml")
    succeeded(run, "changes")
    built = {leg.matrix["function"] for leg in run.jobs if leg.matrix.get("function") and leg.result == "success"}
    assert built == set(FUNCTIONS), run.explain()
    assert sorted(p.name for p in github.state.glob(f"artifacts/{github.runs}/digest-*")) == sorted(
        f"digest-{fn}" for fn in FUNCTIONS
    )
    attested = json.loads((github.state / "attestations.json").read_text())
    assert len(attested) == len(FUNCTIONS)
    plan = next(c for c in github.calls("terragrunt") if "plan" in c["argv"])
    deployed = json.loads(plan["env"]["IDP_IMAGE_DIGESTS"])
    assert PLACEHOLDER_DIGEST not in deployed.values()  # an applied plan never has placeholders
    assert sorted(deployed) == sorted(FUNCTIONS)
    apply = run.job("apply dev")
    assert apply.outcome("Apply the reviewed plan") == "success", run.explain()
    applied = [c for c in github.calls("terragrunt") if "apply" in c["argv"]]
    assert applied
    assert all(c["env"]["IDP_ASSUMED_ROLE"] == env_info("dev").apply_role_arn for c in applied)
    assert apply.outcome("Publish doc-configs") == "failure"
    # GitHub's fail-fast cancels the later stages; act 0.2.89 starts them anyway, and each stops at its
    # first step: its predecessor did not finish in this run (the promoted marker) - nothing planned.
    for env in ("test", "prod"):
        assert run.job(f"plan {env}").outcome("The previous env finished in this run") == "failure"
    assert all(c["cwd"].endswith("/live/dev") for c in github.calls("terragrunt") if "run" in c["argv"])


def test_a_module_change_whose_outputs_move_re_plans_the_dependents_before_applying_them(
    github: GitHubWorld, tmp_path: Path
) -> None:
    """compute's change replaces a function (its ARN moves); api read the old ARN when it was planned.
    Applied as saved (before: one `run --all apply`), API Gateway would keep invoking the old function:
    api is planned again after compute's apply and applied from that plan - it is its reviewed plan with
    the moved value in place of the old one."""
    from tests.tools.test_plan_run import OLD_ARN, integration_plan

    base = github.sha("main")
    for env in ENVS:
        release(github, env, base)
    github.answer("gh", ["api", "actions/workflows/deploy.yml/runs"], base)  # the last run that reached every env
    touch(github, "modules/compute/main.tf")
    github.commit("compute: a new function configuration")
    reviewed, replanned = tmp_path / "api-reviewed.json", tmp_path / "api-fresh.json"
    reviewed.write_text(json.dumps(integration_plan(["no-op"], OLD_ARN, OLD_ARN)))
    replanned.write_text(json.dumps(integration_plan(["update"], OLD_ARN, OLD_ARN + "-v2")))
    wrap = lambda arn: {"function_arns": {"sensitive": False, "type": "map", "value": {"presigned": arn}}}  # noqa: E731
    github.script["units"] = {
        "eu-west-1/compute": {"outputs_before": wrap(OLD_ARN), "outputs_after": wrap(OLD_ARN + "-v2")},
        "eu-west-1/api": {"plan": str(reviewed), "replan": str(replanned), "replan_after": ["eu-west-1/compute"]},
    }
    github.save_script()
    run = github.act("push", workflow="deploy.yml")
    succeeded(run, "changes", "plan dev")
    assert not run.ran("build")  # no function changed: no image built
    apply = run.job("apply dev")
    assert apply.outcome("Apply the reviewed plan") == "success", run.explain()
    assert "planned again after their dependencies moved, as reviewed: eu-west-1/api" in apply.text
    applied = [c["argv"] for c in github.calls("terragrunt") if "apply" in c["argv"] and "--out-dir" in c["argv"]]
    saved = {a[a.index("--filter") + 1]: a[a.index("--out-dir") + 1] for a in applied}
    assert saved["./eu-west-1/api"].endswith("/moved/bin")  # not the reviewed (stale) saved plan
    assert saved["./eu-west-1/compute"].endswith("/reviewed/bin")
    assert list(saved).index("./eu-west-1/compute") < list(saved).index("./eu-west-1/api")
