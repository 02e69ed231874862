"""The delivery, as GitHub would run it: act executes the real workflow files (tests/workflows/act.py)
on a GitHub world made for each test - the repository as a remote, pull requests and pushes as events.
`idp` runs for real against the embedded AWS; terragrunt, aws, gh, docker and trivy are recording
stand-ins (stand_in.py), external actions stand-ins built from their source (actions/README.md)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from idp.local.aws_server import LocalAwsServer
from idp.naming import FUNCTIONS
from idp.release import PLACEHOLDER_DIGEST, Release, env_info, manifest_parameter
from tests.conftest import REPO_ROOT
from tests.fake_api import served
from tests.workflows.act import GitHubWorld, Run, template_remote, workflow_document

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


def release(github: GitHubWorld, env: str, commit: str, digests: dict[str, str] | None = None) -> Release:
    """The manifest a previous validated deploy recorded in the env's account."""
    recorded = Release(commit, digests or dict.fromkeys(FUNCTIONS, "sha256:" + "a" * 64))
    github.client("ssm", env).put_parameter(
        Name=manifest_parameter(env), Value=recorded.to_json(), Type="String", Overwrite=True
    )
    return recorded


def bootstrap_registry(github: GitHubWorld) -> Any:
    """The bootstrap's ECR repositories in the registry account (README: bootstrap, step 5); its client."""
    from idp.naming import repository

    ecr = github.client("ecr", "dev")
    for function in FUNCTIONS:
        ecr.create_repository(repositoryName=repository(function), imageTagMutability="IMMUTABLE")
    return ecr


def audit_records(github: GitHubWorld) -> list[dict[str, Any]]:
    """The audit records the apply jobs wrote (`aws s3 cp -` of the record), oldest first. Each upload
    carries a checksum: S3 refuses an upload without one into a bucket with Object Lock (the audit
    bucket, modules/storage)."""
    uploads = [c for c in github.calls("aws") if c["argv"][:2] == ["s3", "cp"]]
    assert all("--checksum-algorithm" in c["argv"] for c in uploads), uploads
    return [json.loads(c["stdin"]) for c in uploads]


def edit_workflow(github: GitHubWorld, name: str, jobs: dict[str, Any]) -> None:
    """Replace (or, with None, drop) jobs of a workflow in the developer's clone; the rest - the job
    under test - stays the project's own."""
    import yaml

    path = github.clone / ".github" / "workflows" / name
    workflow = yaml.safe_load(path.read_text())
    workflow["on"] = workflow.pop(True)  # YAML 1.1 reads the key `on` as true
    workflow["jobs"].update(jobs)
    for job in [n for n, given in workflow["jobs"].items() if given is None]:
        del workflow["jobs"][job]
    path.write_text(yaml.safe_dump(workflow, sort_keys=False))


def set_load(github: GitHubWorld, env: str, **values: float) -> None:
    """The env's `load` entry in the world's live/environments.hcl, these values changed."""
    path = github.clone / "live" / "environments.hcl"
    text = path.read_text()
    start = text.index(f'name       = "{env}"')
    block_end = text.index("      }", text.index("load = {", start))
    block = text[start:block_end]
    for key, value in values.items():
        block = re.sub(rf"({key} += )[0-9.]+", rf"\g<1>{value:g}", block)
    path.write_text(text[:start] + block + text[block_end:])


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
    github.environ["ACT_RUN_SECURITY"] = "1"  # this scenario runs the security job's checks for real
    run = github.act("pull_request", payload=github.pull_request(1, head))
    succeeded(run, "changes", "lint-and-test", "security", "plans")
    security = run.job("security").text
    for check in ("checkov", "zizmor", "actionlint", "detect-secrets"):
        assert re.search(rf"PASS +{check} ", security), security[-3000:]
    assert json.loads(run.job("changes").outputs["envs"]) == ["dev"]
    body = comment(github, "dev")["body"]
    assert "planned with placeholder digests" in body
    assert "dev was never released" in body
    assert "not kept for pull requests" in body  # no link to an artifact a PR never uploads
    # #22: every job that sets up asks for its caches keyed by the lock files (act evaluates hashFiles:
    # a glob that matches nothing gives an empty hash), and Terragrunt runs with its provider cache.
    planned = [a["inputs"] for a in github.actions("cache") if a["job"] == "plan"]
    keys = sorted(re.sub(r"[0-9a-f]{64}$", "<hash>", a["key"]) for a in planned)
    assert keys == ["npm-Linux-<hash>", "providers-Linux-<hash>", "uv-Linux-<hash>"], planned
    plans = [c for c in github.calls("terragrunt") if "plan" in c["argv"]]
    assert plans
    assert all(c["env"].get("TG_PROVIDER_CACHE") == "1" for c in plans)
    assert all(c["env"]["TG_PROVIDER_CACHE_DIR"].endswith("/.cache/terragrunt/providers") for c in plans)
    assert "workflow artifact" not in body
    assert not github.artifact("plan-dev").exists()
    planned = github.calls("terragrunt")[0]
    assert set(json.loads(planned["env"]["IDP_IMAGE_DIGESTS"]).values()) == {PLACEHOLDER_DIGEST}
    # The branch's own workflow files: the PR plan role (the state only), a plan without a refresh.
    assert planned["env"]["IDP_ASSUMED_ROLE"] == env_info("dev").pr_plan_role_arn
    assert "-refresh=false" in planned["argv"]
    assert "planned without a refresh" in body
    assert [c["argv"] for c in github.calls("make")] == [["test"]]  # make security ran, not its stand-in


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
    # with the legs as plain jobs (test_the_required_plans_check_fails_unless_every_touched_env_planned).
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
    bootstrap_registry(github)
    run = github.act("push", workflow="deploy.yml")
    succeeded(run, "changes")
    built = {leg.matrix["function"] for leg in run.jobs if leg.matrix.get("function") and leg.result == "success"}
    assert built == set(FUNCTIONS), run.explain()
    assert sorted(p.name for p in github.state.glob(f"artifacts/{github.runs}/digest-*")) == sorted(
        f"digest-{fn}" for fn in FUNCTIONS
    )
    attested = json.loads((github.state / "attestations.json").read_text())
    assert len(attested) == len(FUNCTIONS)
    commit = github.sha("main")
    leg = next(job for job in run.jobs if job.matrix.get("function") == "sqs_poller")
    digest, registry = leg.outputs["digest"], env_info("dev").ecr_registry
    pushed = github.client("ecr", "dev").describe_images(
        repositoryName="idp/sqs-poller", imageIds=[{"imageTag": commit}]
    )
    assert pushed["imageDetails"][0]["imageDigest"] == digest  # tagged with the commit, in the registry account
    assert {
        "subject-name": f"{registry}/idp/sqs-poller",
        "subject-digest": digest,
        "push-to-registry": "false",
    } in attested
    scans = [c["argv"][-1] for c in github.calls("trivy")]
    assert f"{registry}/idp/sqs-poller@{digest}" in scans  # the pushed image, by digest
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
    audit = audit_records(github)[0]
    # Every unit that reads compute was planned again (their fresh plans: as reviewed), and the record says so.
    assert audit["replanned_after_moved_outputs"] == [
        "eu-west-1/api",
        "eu-west-1/orchestration",
        "eu-west-1/monitoring",
    ]


def released_with_images(github: GitHubWorld, base: str) -> tuple[Any, dict[str, str]]:
    """Every env runs `base`, whose images are in the registry (a release's images get tagged after
    its apply); (the registry's client, the digests)."""
    from idp.naming import repository

    ecr = bootstrap_registry(github)
    deployed = {}
    for function in FUNCTIONS:  # the images the envs run now
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                    "config": {"digest": f"sha256:{function}"}, "layers": []}  # fmt: skip
        pushed = ecr.put_image(repositoryName=repository(function), imageManifest=json.dumps(manifest), imageTag=base)
        deployed[function] = pushed["image"]["imageId"]["imageDigest"]
    for env in ENVS:
        release(github, env, base, deployed)
    return ecr, deployed


def deploy_through_every_env(server: LocalAwsServer, api_url: str, tmp_path: Path) -> None:
    """A later push changing one function, from main through dev, test and prod, on a running stack:
    its image is built once (pushed to the registry), each env plans with it over its release, applies
    after its predecessor finished, and its smoke test - for real, signed with the job's role session -
    passes against the API; each env records the release, its audit record and keeps its images.
    Called by the Terraform cycle test while its stack runs (tests/integration/test_terraform_stack.py):
    every env's smoke test reaches that one stack (one embedded AWS stands for the three accounts)."""
    from idp.naming import repository

    github = GitHubWorld(tmp_path, template_remote(tmp_path / "template"), server)
    github.script["plan_json"] = str(PLANS / "every-action.json")
    github.answer("terragrunt", ["output", "-raw", "api_url"], api_url)
    github.answer("aws", ["s3", "cp", "-"])
    github.answer("trivy", ["image"])
    # The stack's metrics are in the local account, the jobs' sessions in each env's: test's load test
    # reads its cost without waiting for metrics that never come there (--metrics-wait's variable).
    github.environ["IDP_LOAD_METRICS_WAIT"] = "0"
    github.environ["IDP_LOAD_POLL_SECONDS"] = "1"  # the local stack ends a document in seconds
    base = github.sha("main")
    github.answer("gh", ["api", "actions/workflows/deploy.yml/runs"], base)
    github.answer("gh", ["api", "/approvals"], "a-reviewer")
    ecr, deployed = released_with_images(github, base)
    touch(github, "lambdas/sqs_poller/app.py")
    set_load(github, "test", documents=6, concurrency=3, min_documents_per_minute=1)  # the stack is a laptop's
    head = github.commit("sqs_poller: a change")
    run = github.act("push", workflow="deploy.yml")
    assert run.exit_code == 0, run.explain()
    new = run.job("build sqs_poller").outputs["digest"]
    assert new not in deployed.values()
    for env in ENVS:
        apply = run.job(f"apply {env}")
        assert apply.outcome("Smoke test") == "success", apply.text[-3000:]
        assert "PASS  result document" in apply.text
        assert apply.outcome("Load test") == "success", apply.text[-3000:]
        recorded = Release.from_json(
            github.client("ssm", env).get_parameter(Name=manifest_parameter(env))["Parameter"]["Value"]
        )
        assert recorded == Release(head, {**deployed, "sqs_poller": new}), env
        tags = ecr.describe_images(repositoryName=repository("sqs_poller"), imageIds=[{"imageDigest": new}])
        assert f"release-{env}-{head[:12]}" in tags["imageDetails"][0]["imageTags"]
    # test's load test ran for real through the stack, signed with the job's role session; its report
    # (tables, charts, the cost read back from CloudWatch) is in the job summary.
    load_report = next(text for text in github.summaries() if "### Load test of test" in text)
    assert "**passed** - the promotion goes on" in load_report
    assert "| documents | 6 (0 failed) | 6 |" in load_report
    assert load_report.count("```mermaid") == 2
    assert "| lambda_gb_seconds |" in load_report  # (no data here: the stack counts in the local account)
    audits = audit_records(github)
    assert [(a["environment"], a["outcome"], a["rollback"], a["approved_by"]) for a in audits] == [
        (env, "success", "not needed", "a-reviewer") for env in ENVS
    ]
    assert [a["load_test"]["outcome"] for a in audits] == ["none", "passed", "none"]
    markers = [json.loads((github.artifact(f"promoted-{env}") / f"{env}.json").read_text()) for env in ENVS]
    assert [m["digests"]["sqs_poller"] for m in markers] == [new] * 3  # what the next env would take


def released_everywhere(github: GitHubWorld) -> str:
    """Every env runs main's head (the last run that reached every env); returns that commit."""
    base = github.sha("main")
    for env in ENVS:
        release(github, env, base)
    github.answer("gh", ["api", "actions/workflows/deploy.yml/runs"], base)
    return base


def test_a_stale_reviewed_plan_is_refused_posted_and_applied_when_run_again(github: GitHubWorld) -> None:
    """Between the review and the apply something else changed the env: the apply job's plan of the
    reviewed sets differs - refused, nothing applied, the fresh plan in the job summary and as the env's
    plan artifact; the refusal audited. Run again, the fresh plan is what gets reviewed and applied."""
    released_everywhere(github)
    touch(github, "live/dev/eu-west-1/monitoring/terragrunt.hcl")
    github.commit("dev monitoring")
    github.script["plan_sequence"] = [str(PLANS / "every-action.json"), str(PLANS / "no-changes.json")]
    github.save_script()
    run = github.act("push", workflow="deploy.yml")
    apply = run.job("apply dev")
    assert apply.outcome("Apply the reviewed plan") == "skipped"
    assert "the fresh plan differs from the reviewed one" in apply.text
    assert not [c for c in github.calls("terragrunt") if "apply" in c["argv"] and "--out-dir" in c["argv"]]
    assert any("The reviewed plan of `dev` is stale" in text for text in github.summaries())
    fresh = github.artifact("plan-dev")
    assert "0 of 1 unit(s) with changes." in (fresh / "comment.md").read_text()  # replaced by the fresh plan
    audit = audit_records(github)[0]
    assert audit["outcome"] == "failure"
    # Run again (GitHub: re-run all jobs - act has no "re-run failed jobs"): planned and applied as reviewed.
    github.script["plan_sequence"] = [str(PLANS / "no-changes.json")]
    github.save_script()
    again = github.act("push", workflow="deploy.yml", run_id=github.runs, attempt=2)
    assert again.job("plan dev").result == "success", again.explain()
    assert again.job("plan dev").outputs["changes"] == "false"  # nothing left to apply: no approval asked
    assert not again.ran("apply dev")


def test_a_deleted_unit_is_destroyed_in_the_tree_that_held_it_after_review(github: GitHubWorld) -> None:
    base = released_everywhere(github)
    subprocess.run(["git", "-C", str(github.clone), "rm", "-rq", "live/dev/eu-west-1/monitoring"], check=True)
    github.commit("remove dev monitoring")
    destroying = json.loads((PLANS / "every-action.json").read_text())
    for change in destroying["resource_changes"]:
        change["change"]["actions"] = ["delete"]
    (github.root / "destroy.json").write_text(json.dumps(destroying))
    github.script["plan_json"] = str(github.root / "destroy.json")
    github.save_script()
    run = github.act("push", workflow="deploy.yml")
    assert [s["environment"] for s in json.loads(run.job("changes").outputs["stages"])] == ["dev"]
    planned = [c for c in github.calls("terragrunt") if "plan" in c["argv"]]
    assert planned[0]["argv"][-3:] == ["plan", "-destroy", "-lock-timeout=5m"]
    assert Path(planned[0]["cwd"]).parent.parent.name == f"plan-tree-{base[:12]}"  # the tree that held it
    comment = (github.artifact("plan-dev") / "comment.md").read_text()
    assert "will be destroyed or replaced" in comment
    destroyed = [c for c in github.calls("terragrunt") if "apply" in c["argv"] and "--out-dir" in c["argv"]]
    assert len(destroyed) == 1
    assert destroyed[0]["argv"][destroyed[0]["argv"].index("--out-dir") + 1].endswith("reviewed/destroy-bin")


def test_an_env_whose_plan_changes_nothing_asks_no_approval_and_the_next_env_goes_on(github: GitHubWorld) -> None:
    released_everywhere(github)
    touch(github, "modules/monitoring/main.tf")  # every env's monitoring: planned, nothing to change
    github.commit("monitoring: a comment")
    github.script["plan_json"] = str(PLANS / "no-changes.json")
    github.save_script()
    run = github.act("push", workflow="deploy.yml")
    assert run.exit_code == 0, run.explain()
    for env in ENVS:
        assert run.job(f"plan {env}").outputs["changes"] == "false"
        assert not run.ran(f"apply {env}")  # its reviewers are never asked
        marker = json.loads((github.artifact(f"promoted-{env}") / f"{env}.json").read_text())
        assert marker["apply"] == "skipped"


def test_a_failed_validation_rolls_back_to_the_last_validated_release(github: GitHubWorld) -> None:
    """The smoke test fails (nothing answers at the API URL): in the same job, the env's last validated
    release - its commit's module code, its images - is applied again; the failed release is never
    recorded, and the audit record says what happened."""
    base = released_everywhere(github)
    previous = Release.from_json(
        github.client("ssm", "dev").get_parameter(Name=manifest_parameter("dev"))["Parameter"]["Value"]
    )
    touch(github, "live/dev/eu-west-1/monitoring/terragrunt.hcl")
    github.commit("dev monitoring")
    run = github.act("push", workflow="deploy.yml")
    apply = run.job("apply dev")
    assert apply.outcome("Smoke test") == "failure"
    assert apply.outcome("Record the release") == "skipped"
    assert apply.outcome("Rollback - the last validated release") == "success"
    restore = [c for c in github.calls("terragrunt") if "apply" in c["argv"] and "--out-dir" not in c["argv"]][-1]
    assert json.loads(restore["env"]["IDP_IMAGE_DIGESTS"]) == previous.digests
    restored = subprocess.run(["git", "-C", restore["cwd"], "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()  # fmt: skip
    assert restored == base
    recorded = github.client("ssm", "dev").get_parameter(Name=manifest_parameter("dev"))["Parameter"]["Value"]
    assert Release.from_json(recorded) == previous
    audit = audit_records(github)[0]
    assert (audit["outcome"], audit["rolled_back_to"]) == ("failure", base)
    assert apply.outcome("Rollback - all traffic to the restored release") == "success"
    assert audit["traffic"]["shift"] == "nothing to shift"  # the stand-in apply published no version


def test_a_load_test_that_breaches_a_threshold_stops_the_promotion_before_prod(
    github: GitHubWorld, embedded_aws: LocalAwsServer
) -> None:
    """test's release passes its smoke test, then its load test misses the throughput test asks for
    (live/environments.hcl, raised in this commit): the job fails, so test is not marked done and prod
    never starts; the release stays (validated, recorded - no rollback); the job summary shows the
    breach and its charts, the audit record the load test's outcome. The API is the stand-in of
    tests/fake_api.py, signed with the job's role session."""
    cloudwatch = github.client("cloudwatch", "test")  # the API function's invocations: in test's account
    every_type_ends = {"never_ends": frozenset(), "fails": frozenset()}
    with served(embedded_aws, "idp-test-presigned-url-generator", cloudwatch, **every_type_ends) as (url, api):
        github.answer("terragrunt", ["output", "-raw", "api_url"], url)
        github.environ["IDP_LOAD_POLL_SECONDS"] = "1"  # the stand-in ends a document on its second read
        released_with_images(github, released_everywhere(github))
        set_load(github, "test", documents=4, concurrency=2, min_documents_per_minute=100000)
        touch(github, "modules/monitoring/main.tf")
        head = github.commit("monitoring, and test must take 100,000 documents a minute")
        run = github.act("push", workflow="deploy.yml")
    assert run.exit_code != 0
    assert run.job("apply dev").outcome("Load test") == "success"  # dev has no load test: says so
    apply = run.job("apply test")
    assert apply.outcome("Smoke test") == "success", apply.text[-3000:]
    assert apply.outcome("Record the release") == "success"
    assert apply.outcome("Load test") == "failure"
    assert apply.outcome("Rollback - the last validated release") == "skipped"
    assert "error: the load test breached 1 threshold(s): throughput:" in apply.text
    assert not run.ran("apply prod")
    assert not run.ran("test done")
    recorded = github.client("ssm", "test").get_parameter(Name=manifest_parameter("test"))["Parameter"]["Value"]
    assert Release.from_json(recorded).commit == head
    report = next(text for text in github.summaries() if "### Load test of test" in text)
    assert "**breached** - the promotion stops" in report
    assert "- throughput: " in report
    assert report.count("```mermaid") == 2
    assert len(api.types) == 4 + 2  # the load's documents, dev's and test's smoke tests (prod never ran)
    audit = next(a for a in audit_records(github) if a["environment"] == "test")
    assert (audit["outcome"], audit["rollback"], audit["load_test"]["outcome"]) == ("failure", "not needed", "breached")


def test_a_release_whose_traffic_shift_an_alarm_stops_is_rolled_back_and_says_why(github: GitHubWorld) -> None:
    """The apply published a new version of one function; dev's error-rate alarm of another is in
    ALARM: the shift refuses to judge the release against a failing env and moves nothing; the job rolls
    the release back (the restored release takes all traffic, no alarm stops that), the job summary and
    the audit record say what stopped it."""
    from idp.naming import Names

    base = released_everywhere(github)
    info = env_info("dev")
    names = Names("idp", "dev", info.account_id, info.region)
    lam, cloudwatch = github.client("lambda", "dev"), github.client("cloudwatch", "dev")
    extractor = names.function("schema_extractor")
    lam.update_function_configuration(FunctionName=extractor, Description="the new release")
    lam.publish_version(FunctionName=extractor)  # what the apply does for a changed function: version 2
    alarm = f"{names.prefix}-document_classifier-error-rate"
    cloudwatch.put_metric_alarm(
        AlarmName=alarm, Namespace="AWS/Lambda", MetricName="Errors", Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold",
    )  # fmt: skip
    cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="Threshold Crossed: 25 %")
    touch(github, "live/dev/eu-west-1/monitoring/terragrunt.hcl")
    github.commit("dev monitoring")
    run = github.act("push", workflow="deploy.yml")
    apply = run.job("apply dev")
    assert apply.outcome("Shift traffic to the new versions") == "failure"
    assert apply.outcome("Smoke test") == "skipped"
    assert apply.outcome("Rollback - the last validated release") == "success"
    assert apply.outcome("Rollback - all traffic to the restored release") == "success"
    assert any(f"alarms already in ALARM before the shift: {alarm}" in text for text in github.summaries())
    # the restored release (the stand-in apply publishes nothing) took all traffic: here, version 2
    assert lam.get_alias(FunctionName=extractor, Name="live")["FunctionVersion"] == "2"
    audit = audit_records(github)[0]
    assert (audit["outcome"], audit["rolled_back_to"], audit["traffic"]["shift"]) == ("failure", base, "refused")


@pytest.mark.parametrize(("plan", "opened"), [("every-action.json", True), ("no-changes.json", False)])
def test_drift_opens_the_envs_issue_or_closes_it(github: GitHubWorld, plan: str, opened: bool) -> None:
    github.script["plan_json"] = str(PLANS / plan)
    github.save_script()
    released_everywhere(github)
    github.answer("gh", ["issue", "list"], "" if opened else "7")
    github.answer("gh", ["issue", "close"])
    run = github.act("schedule", workflow="drift.yml")
    assert run.exit_code == 0, run.explain()
    issues = github.issues()
    closed = [c["argv"][:3] for c in github.calls("gh") if c["argv"][:2] == ["issue", "close"]]
    if opened:
        assert sorted(i["title"] for i in issues) == [f"Drift in {env}" for env in sorted(ENVS)]
        assert closed == []
    else:
        assert issues == []
        assert closed == [["issue", "close", "7"]] * 3
    assert all(c["env"]["IDP_ASSUMED_ROLE"].endswith("-plan") for c in github.calls("terragrunt"))


def test_a_new_commit_marks_the_posted_plans_outdated_then_replaces_them(github: GitHubWorld) -> None:
    touch(github, "live/dev/eu-west-1/monitoring/terragrunt.hcl")
    first = github.commit("dev monitoring", branch="pr-3")
    github.act("pull_request", payload=github.pull_request(3, first))
    assert "Terraform plan" in comment(github, "dev")["body"]
    subprocess.run(["git", "-C", str(github.clone), "reset", "-q", "--hard", github.sha("main")], check=True)
    touch(github, "live/test/eu-west-1/monitoring/terragrunt.hcl")
    second = github.commit("test monitoring instead", branch="pr-3")
    run = github.act("pull_request", payload=github.pull_request(3, second))
    succeeded(run, "plans")
    dev = comment(github, "dev")
    assert "This pull request no longer changes `dev`" in dev["body"]  # updated, never a second comment
    assert dev["updates"] == 1
    assert "Terraform plan" in comment(github, "test")["body"]
    assert [e["inputs"]["only_update"] for e in github.actions("sticky")].count("true") == 6  # 3 envs, 2 runs


def edited_pr(github: GitHubWorld, number: int, jobs: dict[str, Any]) -> dict[str, Any]:
    """A pull request whose pr.yml replaces some jobs (GitHub runs the merge commit's workflows)."""
    edit_workflow(github, "pr.yml", jobs)
    touch(github, "live/dev/eu-west-1/monitoring/terragrunt.hcl")
    return github.pull_request(number, github.commit("an edited pr.yml", branch=f"pr-{number}"))


@pytest.mark.parametrize(
    ("plan", "ran", "passes"),
    [("exit 1", "true", False), ("true", "false", False), ("true", "true", True)],
    ids=["a plan failed", "the plans never ran", "every env planned"],
)
def test_the_required_plans_check_fails_unless_every_touched_env_planned(
    github: GitHubWorld, plan: str, ran: str, passes: bool
) -> None:
    """act ends a run when a called workflow fails (nektos/act#1793): the plan legs are plain jobs here,
    failing or succeeding as the case needs; `plans` - the required check - is pr.yml's own."""

    def stub(script: str) -> dict[str, Any]:
        return {"runs-on": "ubuntu-latest", "needs": "changes", "steps": [{"run": script}]}

    jobs: dict[str, Any] = {"lint-and-test": stub("true"), "security": None, "outdated": None}
    jobs["plan"] = stub(plan) | {"needs": ["changes"], "if": f"${{{{ !cancelled() && {ran} }}}}"}
    run = github.act("pull_request", payload=edited_pr(github, 4, jobs))
    assert run.job("plans").result == ("success" if passes else "failure"), run.explain()


def test_a_pull_request_that_changes_no_env_passes_the_plans_check_without_planning(github: GitHubWorld) -> None:
    (github.clone / "docs" / "notes.md").write_text("notes\n")
    run = github.act("pull_request", payload=github.pull_request(5, github.commit("docs", branch="pr-5")))
    assert json.loads(run.job("changes").outputs["envs"]) == []
    succeeded(run, "plans", "security")
    # the security job's checks are the lint gate's, which runs beside this suite: recorded here
    assert sorted(c["argv"] for c in github.calls("make")) == [["security"], ["test"]]
    assert not any(job.name.startswith("plan ") for job in run.jobs)


def test_a_first_deploy_planned_from_mocks_is_applied_in_dependency_order_not_as_saved(github: GitHubWorld) -> None:
    """Empty state: Terragrunt plans from mock_outputs. The plan says so; the apply never uses it as saved."""
    released_everywhere(github)
    first = json.loads((PLANS / "every-action.json").read_text())
    first["variables"] = {"kms_key_arn": {"value": "arn:aws:kms:eu-west-1:111111111111:key/mock"}}
    (github.root / "mocked.json").write_text(json.dumps(first))
    github.script["plan_json"] = str(github.root / "mocked.json")
    github.save_script()
    touch(github, "live/dev/eu-west-1/monitoring/terragrunt.hcl")
    github.commit("dev monitoring")
    run = github.act("push", workflow="deploy.yml")
    assert run.job("plan dev").outputs["mocked"] == "true"
    comment_text = (github.artifact("plan-dev") / "comment.md").read_text()
    assert "Planned with mock outputs" in comment_text
    assert "kms_key_arn" in comment_text
    applied = [c for c in github.calls("terragrunt") if "apply" in c["argv"]]
    assert "--out-dir" not in applied[0]["argv"]  # every unit planned again with its dependencies' real outputs


def test_the_changes_since_the_last_run_that_reached_every_env_are_deployed(github: GitHubWorld) -> None:
    """A run that failed or was rejected after `base` carried changes: they go with this push, not lost
    by diffing against the previous push only."""
    base = released_everywhere(github)
    touch(github, "lambdas/sqs_poller/app.py")
    github.commit("sqs_poller (its run was rejected at test)")
    touch(github, "live/dev/eu-west-1/monitoring/terragrunt.hcl")
    github.commit("dev monitoring")
    run = github.act("push", workflow="deploy.yml", job="changes", payload={"before": github.sha("main~1")})
    changes = run.job("changes")
    assert changes.outputs["base"] == base
    assert json.loads(changes.outputs["functions"]) == ["sqs_poller"]
    query = github.calls("gh")[0]["argv"]
    assert (
        "repos/example-org/idp-platform/actions/workflows/deploy.yml/runs?branch=main&event=push&status=success&per_page=1"
        in query
    )


def test_a_refresh_that_changes_nothing_is_not_a_stale_plan(github: GitHubWorld) -> None:
    """Only what Terraform will change is compared: a refreshed no-op resource (e.g. the BDA project's
    blueprint list, changed by `idp configs publish`, ignored by Terraform) does not refuse the apply."""
    released_everywhere(github)
    refreshed = json.loads((PLANS / "every-action.json").read_text())
    noop = next(r for r in refreshed["resource_changes"] if r["change"]["actions"] == ["no-op"])
    noop["change"]["before"] = {**(noop["change"]["before"] or {}), "refreshed_only": "new value"}
    noop["change"]["after"] = noop["change"]["before"]
    (github.root / "refreshed.json").write_text(json.dumps(refreshed))
    github.script["plan_sequence"] = [str(PLANS / "every-action.json"), str(github.root / "refreshed.json")]
    github.save_script()
    touch(github, "live/dev/eu-west-1/monitoring/terragrunt.hcl")
    github.commit("dev monitoring")
    run = github.act("push", workflow="deploy.yml")
    apply = run.job("apply dev")
    assert apply.outcome("Plan again and verify it is the reviewed plan") == "success", apply.text[-2000:]
    assert apply.outcome("Apply the reviewed plan") == "success"


def test_adding_a_fourth_env_plans_in_its_pull_request_and_deploys_after_its_predecessor(
    github: GitHubWorld,
) -> None:
    """The README's add-an-env runbook: the PR that adds `staging` passes its required `plans` check
    although staging was never deployed (placeholder images, said so); once merged, the deploy runs
    staging right after test, with test's images (test's stage marker) and doc-configs due there."""
    from tests.infra.test_env_list import add_staging

    released_everywhere(github)
    add_staging(github.clone)
    head = github.commit("add staging", branch="pr-6")
    run = github.act("pull_request", payload=github.pull_request(6, head))
    succeeded(run, "plans")
    assert "staging" in json.loads(run.job("changes").outputs["envs"])
    staging = comment(github, "staging")["body"]
    assert "planned with placeholder digests" in staging
    assert "staging was never released" in staging
    subprocess.run(["git", "-C", str(github.clone), "push", "-q", "origin", "HEAD:refs/heads/main"], check=True)
    merged = github.act("push", workflow="deploy.yml", job="changes")
    changes = merged.job("changes")
    stages = json.loads(changes.outputs["stages"])
    assert {"environment": "staging", "after": "test"} in stages
    assert json.loads(changes.outputs["new_envs"]) == ["staging"]


def test_an_apply_that_fails_half_way_restores_the_last_validated_release(github: GitHubWorld) -> None:
    """compute applied, api failed: the env is neither release. (Before: no rollback, and the audit said
    "not needed".) The last validated release is applied again in the same job, and audited."""
    base = released_everywhere(github)
    touch(github, "modules/api/main.tf")
    github.commit("api: a change that fails to apply")
    github.script["apply_fails"] = ["eu-west-1/api"]
    github.save_script()
    run = github.act("push", workflow="deploy.yml")
    apply = run.job("apply dev")
    assert apply.outcome("Apply the reviewed plan") == "failure"
    assert apply.outcome("Rollback - the last validated release") == "success", apply.text[-2000:]
    restore = [c for c in github.calls("terragrunt") if "apply" in c["argv"] and "--out-dir" not in c["argv"]]
    assert restore, "the last validated release was not applied again"
    audit = audit_records(github)[0]
    assert audit["rolled_back_to"] == base
    assert audit["rollback"] != "not needed"


def test_a_drift_run_whose_plan_failed_opens_the_issue_saying_so(github: GitHubWorld) -> None:
    """The plan legs fail (no plan artifact): each report says the drift is unknown in the env's issue
    (before: the report job crashed on the missing artifact and nobody heard of it). act ends a run
    when a called workflow fails (nektos/act#1793): the legs are plain failing jobs here; `report` is
    drift.yml's own."""
    matrix = workflow_document("drift.yml")["jobs"]["plan"]["strategy"]
    edit_workflow(github, "drift.yml", {"plan": {"needs": "envs", "runs-on": "ubuntu-latest", "strategy": matrix,
                                                 "steps": [{"run": "exit 1"}]}})  # fmt: skip
    github.commit("drift.yml with failing plans")
    github.answer("gh", ["issue", "list"], "")
    run = github.act("schedule", workflow="drift.yml")
    for env in ENVS:
        assert run.job("drift report", environment=env).result == "success", run.explain()
    issues = github.issues()
    assert sorted(i["title"] for i in issues) == [f"Drift in {env}" for env in sorted(ENVS)]
    assert all("The drift plan of" in i["body"] and "failed" in i["body"] for i in issues)
