"""The workflows' jobs, executed: every `run:` step with bash -e in its working directory, with its
env, GITHUB_OUTPUT/GITHUB_ENV/GITHUB_STEP_SUMMARY, the job's outputs wired to the next job and the
artifacts between them (tests/workflows/runner.py). Our own commands run for real (`idp` through
scripts/in-env, against the embedded AWS where they call AWS); only terragrunt, aws, gh and docker are
recording stand-ins (tests/workflows/stand_in.py). A missing file, an unset variable, an output
nobody writes, a flag our tools do not accept: the job fails and so does the test."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from idp.local.aws_server import LocalAwsServer
from idp.naming import FUNCTIONS
from idp.release import Release, env_info, manifest_parameter
from tests.conftest import REPO_ROOT
from tests.workflows.act import clone_with_working_tree
from tests.workflows.runner import JobRun, JobRunner, stand_in_path

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
PLAN_FIXTURE = REPO_ROOT / "tests" / "fixtures" / "plans" / "every-action.json"
API_URL = "https://abc123.execute-api.eu-west-1.amazonaws.com/dev"
ZERO = "0" * 40


SETUP_INSTALL = "./.github/actions/setup / Install the project (uv.lock, tools/node, tools/envs/checkov)"


@pytest.fixture(scope="session")
def checkout_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The job's workspace, as actions/checkout with fetch-depth: 0 leaves it (origin/main included): a
    clone with this working tree's files over it, the installed environments linked. Made once; each
    test works in its own copy (steps write into it, never into this checkout). The setup action's
    `make setup` is the one step not run there (syncing a linked environment would repoint this
    checkout's editable install; `make test` runs it)."""
    clone = clone_with_working_tree(tmp_path_factory.mktemp("checkout") / "workspace")
    for shared in (".venv", ".tools", "tools/node/node_modules", "tools/envs/checkov/.venv"):
        if (REPO_ROOT / shared).exists() and not (clone / shared).exists():
            (clone / shared).symlink_to(REPO_ROOT / shared)
    return clone


@pytest.fixture
def workspace(checkout_template: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "workspace"
    shutil.copytree(checkout_template, copy, symlinks=True)
    return copy


@dataclass
class Machine:
    """One GitHub Actions run on this machine: stand-ins on PATH, artifact storage, embedded AWS."""

    tmp: Path
    env: dict[str, str]
    log: Path
    artifacts: Path
    server: LocalAwsServer
    workspace: Path
    runners: list[JobRunner] = field(default_factory=list)

    def job(self, workflow: str, job: str, skip: dict[str, str] | None = None, **kwargs: Any) -> JobRunner:
        temp = self.tmp / f"{workflow}-{job}-{len(self.runners)}"
        skipped = {SETUP_INSTALL: "the linked environments are installed already", **(skip or {})}
        runner = JobRunner(
            WORKFLOWS / workflow,
            job,
            temp,
            self.artifacts,
            env=self.env,
            workspace=self.workspace,
            skip=skipped,
            **kwargs,
        )
        self.runners.append(runner)
        return runner

    def calls(self, tool: str) -> list[dict[str, Any]]:
        lines = self.log.read_text().splitlines() if self.log.exists() else []
        return [entry for entry in map(json.loads, lines) if entry["tool"] == tool]


@pytest.fixture
def machine(tmp_path: Path, embedded_aws: LocalAwsServer, workspace: Path) -> Machine:
    script = tmp_path / "stand-in-script.json"
    script.write_text(
        json.dumps(
            {
                "plan_json": str(PLAN_FIXTURE),
                "rules": [
                    {"tool": "terragrunt", "words": ["output", "-raw", "api_url"], "stdout": API_URL},
                    {"tool": "aws", "words": ["s3", "cp", "-"]},
                    {
                        "tool": "gh",
                        "words": ["api", "repos/example-org/idp-platform/actions/runs/4242/approvals"],
                        "stdout": "reviewer-of-dev",
                    },
                    {"tool": "trivy", "words": ["image"]},
                ],
            }
        )
    )
    env = stand_in_path(tmp_path / "bin", tmp_path / "calls.jsonl", script)
    # Our own commands reach the embedded AWS where they would reach AWS (after the credentials step).
    env["AWS_ENDPOINT_URL"] = embedded_aws.endpoint
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    return Machine(tmp_path, env, tmp_path / "calls.jsonl", artifacts, embedded_aws, workspace)


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout.strip()


def succeeded(run: JobRun) -> None:
    failed = [f"{s.name}:\n{s.output[-3000:]}" for s in run.steps if s.outcome == "failure"]
    assert run.status == "success", "\n\n".join(failed)


def github(event_name: str, **extra: Any) -> dict[str, Any]:
    return {
        "sha": git("rev-parse", "HEAD"),
        "event_name": event_name,
        "run_id": "4242",
        "run_attempt": "1",
        "repository": "example-org/idp-platform",
        "server_url": "https://github.com",
        "actor": "someone",
        "triggering_actor": "someone",
        **extra,
    }


def last_success(machine: Machine, sha: str) -> None:
    """What GitHub answers for the newest successful push run of deploy.yml ('' - none yet)."""
    script = json.loads(Path(machine.env["STAND_IN_SCRIPT"]).read_text())
    script["rules"].insert(0, {"tool": "gh", "words": ["api"], "stdout": sha})
    Path(machine.env["STAND_IN_SCRIPT"]).write_text(json.dumps(script))


def test_changes_on_a_first_push_deploys_everything(machine: Machine) -> None:
    last_success(machine, "")  # no run ever reached every env
    run = machine.job("deploy.yml", "changes", github=github("push", event={"before": ZERO})).run()
    succeeded(run)
    assert sorted(json.loads(run.outputs["functions"])) == sorted(FUNCTIONS)
    assert json.loads(run.outputs["stages"]) == [  # every env, in live/environments.hcl's order
        {"environment": "dev", "after": ""},
        {"environment": "test", "after": "dev"},
        {"environment": "prod", "after": "test"},
    ]
    assert run.outputs["base"] == ""  # every unit


def test_changes_since_the_last_run_that_reached_every_env(machine: Machine) -> None:
    """A run that failed or was rejected after HEAD~3 carried changes: they are delivered now, not lost
    by diffing against the previous push (HEAD~1)."""
    touched = git("log", "-1", "--format=%H", "--", "lambdas")  # the newest commit that changed a function
    base = git("rev-parse", f"{touched}~1")
    last_success(machine, base)
    run = machine.job(
        "deploy.yml", "changes", github=github("push", event={"before": git("rev-parse", "HEAD~1")})
    ).run()
    succeeded(run)
    query = machine.calls("gh")[0]["argv"]
    assert (
        "repos/example-org/idp-platform/actions/workflows/deploy.yml/runs?branch=main&event=push&status=success&per_page=1"
        in query
    )
    expected = subprocess.run(
        [str(REPO_ROOT / "scripts" / "in-env"), "idp", "changes", "--base", base],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert json.loads(run.outputs["functions"]) == json.loads(expected)["functions"] != []


def build(machine: Machine, function: str) -> JobRun:
    """One leg of the build matrix: its digest artifact is what the plan jobs download."""
    run = machine.job(
        "_build-images.yml",
        "build",
        inputs={"functions": json.dumps([function]), "ref": git("rev-parse", "HEAD")},
        matrix={"function": function},
        github=github("push"),
    ).run()
    succeeded(run)
    return run


def plan_dev(machine: Machine) -> JobRun:
    return machine.job(
        "_plan.yml",
        "plan",
        inputs={
            "environment": "dev",
            "comment": False,
            "image-digests-artifact": "digest-*",
            "ref": git("rev-parse", "HEAD"),
        },
        github=github("push"),
    ).run()


def apply_dev(machine: Machine, plan: JobRun, skip: dict[str, str], **inputs: Any) -> JobRun:
    """The dev apply job with the plan job's outputs, deploying HEAD (inputs override or add)."""
    given = {
        "environment": "dev",
        "infrastructure": True,
        "doc-configs": False,
        "digests": plan.outputs["digests"],
        "fingerprint": plan.outputs["fingerprint"],
        "ref": git("rev-parse", "HEAD"),
        **inputs,
    }
    return machine.job("_apply.yml", "apply", inputs=given, github=github("push"), skip=skip).run()


NO_API = {"Smoke test": "needs the deployed API"}
UNIT_ORDER = [  # dev's units, dependencies first (idp.units.dependency_order)
    "eu-west-1/ecr", "eu-west-1/security", "eu-west-1/storage", "eu-west-1/messaging", "eu-west-1/compute",
    "eu-west-1/api", "eu-west-1/orchestration", "eu-west-1/monitoring",
]  # fmt: skip


def test_a_build_leg_tags_by_commit_in_the_registry_account_and_uploads_its_digest(machine: Machine) -> None:
    run = build(machine, "sqs_poller")
    info = env_info("dev")
    digest = run.step("Build and push (arm64, single-platform manifest)").outputs["digest"]
    written = json.loads((machine.artifacts / "digest-sqs_poller" / "digest-sqs_poller.json").read_text())
    assert written == {"function": "sqs_poller", "digest": digest}
    lookup = machine.calls("aws")[0]
    assert lookup["argv"][:2] == ["ecr", "describe-images"]
    assert lookup["env"]["IDP_ASSUMED_ROLE"] == info.image_push_role_arn
    scan = machine.calls("trivy")[0]
    assert scan["argv"][-1] == f"{info.ecr_registry}/idp/sqs-poller@{digest}"
    commit = git("rev-parse", "HEAD")
    assert lookup["argv"][lookup["argv"].index("--image-ids") + 1] == f"imageTag={commit}"
    assert ("actions/checkout", {"ref": commit, "persist-credentials": "false"}) in machine_runs(machine)
    attested = [given for action, given in machine_runs(machine) if action == "actions/attest-build-provenance"]
    # Provenance by digest, kept by GitHub: the pushed image stays the single-platform manifest Lambda takes.
    assert attested == [
        {"subject-name": f"{info.ecr_registry}/idp/sqs-poller", "subject-digest": digest, "push-to-registry": "false"}
    ]


def machine_runs(machine: Machine) -> list[tuple[str, dict[str, str]]]:
    return [use for runner in machine.runners for use in runner.recorded]


def seed_release(machine: Machine, env: str = "dev") -> dict[str, str]:
    """The manifest the previous deploy recorded (digests of every function)."""
    info = env_info(env)
    digests = dict.fromkeys(FUNCTIONS, "sha256:" + "a" * 64)
    machine.server.client("ssm", info.region).put_parameter(
        Name=manifest_parameter(env), Value=json.dumps(digests), Type="String"
    )
    return digests


def test_the_plan_job_plans_every_unit_with_the_digests_and_uploads_the_reviewed_plan(machine: Machine) -> None:
    seed_release(machine)
    new = build(machine, "sqs_poller").step("Build and push (arm64, single-platform manifest)").outputs["digest"]
    run = plan_dev(machine)
    succeeded(run)
    digests = json.loads(run.outputs["digests"])
    assert digests["sqs_poller"] == new  # the new build over the deployed manifest
    assert digests["status_updater"] == "sha256:" + "a" * 64
    assert len(run.outputs["fingerprint"]) == 64
    plan = machine.calls("terragrunt")[0]
    assert Path(plan["cwd"]) == machine.workspace / "live" / "dev"
    assert json.loads(plan["env"]["IDP_IMAGE_DIGESTS"]) == digests
    assert plan["env"]["IDP_ASSUMED_ROLE"] == env_info("dev").plan_role_arn
    artifact = machine.artifacts / "plan-dev"
    assert (artifact / "comment.md").read_text().startswith("<!--")
    assert f"fingerprint={run.outputs['fingerprint']}" in (artifact / "comment.md").read_text().splitlines()[0]
    assert run.outputs["mocked"] == "false"
    units = {p.parent.name for p in (artifact / "json").rglob("tfplan.json")}
    assert "compute" in units
    assert "state-backend" not in units  # the bootstrap is an admin's, never in the pipeline's queue
    assert run.summary.startswith("<!--")


def test_the_apply_job_applies_the_reviewed_plan_records_the_release_and_the_audit(machine: Machine) -> None:
    seed_release(machine)
    build(machine, "sqs_poller")
    plan = plan_dev(machine)
    succeeded(plan)
    # Both skipped steps run for real elsewhere: publish against BDA's API model (tests/tools/test_configs.py),
    # smoke against the stack Terraform applied (tests/integration/test_terraform_stack.py).
    skip = {"Publish doc-configs": "BDA's control plane has no local server", **NO_API}
    apply = apply_dev(machine, plan, skip, **{"doc-configs": True})
    succeeded(apply)
    assert apply.outputs["api-url"] == API_URL
    verb = [c for c in machine.calls("terragrunt") if "apply" in c["argv"]]
    planned = {p.parent.relative_to(machine.artifacts / "plan-dev" / "json").as_posix()
               for p in (machine.artifacts / "plan-dev" / "json").rglob("tfplan.json")}  # fmt: skip
    # One unit at a time in dependency order, each from its reviewed saved plan (no output moved here).
    assert [c["argv"][c["argv"].index("--filter") + 1][2:] for c in verb] == [u for u in UNIT_ORDER if u in planned]
    assert all(c["argv"][c["argv"].index("--out-dir") + 1].endswith("reviewed/bin") for c in verb)
    assert {Path(c["cwd"]) for c in verb} == {machine.workspace / "live" / "dev"}
    assert verb[0]["env"]["IDP_ASSUMED_ROLE"] == env_info("dev").apply_role_arn
    info = env_info("dev")
    recorded = machine.server.client("ssm", info.region).get_parameter(Name=manifest_parameter("dev"))
    release = Release.from_json(recorded["Parameter"]["Value"])
    assert release == Release(git("rev-parse", "HEAD"), json.loads(plan.outputs["digests"]))
    assert [s.name for s in apply.steps if s.name.startswith("Rollback") and s.ran] == []  # nothing failed
    audit = next(c for c in machine.calls("aws") if c["argv"][:2] == ["s3", "cp"])
    record = json.loads(audit["stdin"])
    assert record["plan_fingerprint"] == plan.outputs["fingerprint"]
    assert record["outcome"] == "success"
    assert record["commit"] == git("rev-parse", "HEAD")
    assert record["rollback"] == "not needed"  # the validation did not fail
    assert record["approved_by"] == "reviewer-of-dev"  # the environment's approver, not the pusher
    assert record["actor"] == "someone"
    assert "--sse" not in audit["argv"]  # the bucket's default key (the stack's), not an AWS-managed one
    assert audit["argv"][3].startswith(f"s3://idp-dev-audit-{info.account_id}-{info.region}/deployments/")


def script(machine: Machine, **changes: Any) -> None:
    """Change what the stand-ins answer from now on (e.g. plan_json: what Terraform plans next)."""
    path = Path(machine.env["STAND_IN_SCRIPT"])
    path.write_text(json.dumps(json.loads(path.read_text()) | changes))


def test_a_stale_reviewed_plan_is_refused_the_fresh_plan_posted_and_applied_on_a_rerun(machine: Machine) -> None:
    seed_release(machine)
    build(machine, "sqs_poller")
    plan = plan_dev(machine)
    succeeded(plan)
    drifted = REPO_ROOT / "tests" / "fixtures" / "plans" / "no-changes.json"  # another run applied since review
    script(machine, plan_json=str(drifted))
    apply = apply_dev(machine, plan, NO_API)
    assert apply.status == "failure"
    verify = apply.step("Plan again and verify it is the reviewed plan")
    assert verify.outcome == "failure"
    assert "the fresh plan differs from the reviewed one" in verify.output
    assert apply.step("Apply the reviewed plan").outcome == "skipped"
    assert not [c for c in machine.calls("terragrunt") if "apply" in c["argv"]]
    assert apply.step("Audit record").outcome == "success"  # if: always() - the refusal is audited too
    # The fresh plan is posted for review: in the job summary, and as the env's plan artifact.
    assert "The reviewed plan of `dev` is stale" in apply.summary
    assert "0 of 8 unit(s) with changes." in apply.summary
    fresh = machine.artifacts / "plan-dev"
    assert (fresh / "filters").read_text() == (machine.tmp / "_plan.yml-plan-1" / "plan" / "filters").read_text()
    assert "0 of 8 unit(s) with changes." in (fresh / "comment.md").read_text()
    # Re-running the job (its reviewers approve again) applies the fresh plan: nothing changed since.
    rerun = apply_dev(machine, plan, NO_API)
    succeeded(rerun)
    applied = [c for c in machine.calls("terragrunt") if "apply" in c["argv"]]
    assert len(applied) == 8  # every reviewed unit, one at a time
    audit = json.loads([c for c in machine.calls("aws") if c["argv"][:2] == ["s3", "cp"]][-1]["stdin"])
    assert audit["plan_fingerprint"] != plan.outputs["fingerprint"]  # the plan applied is the fresh one


def test_a_refresh_that_changes_nothing_is_not_a_stale_plan(machine: Machine) -> None:
    """Only what Terraform will change is compared: a refreshed no-op resource (e.g. the BDA project's
    blueprint list, changed by `idp configs publish`, ignored by Terraform) does not refuse the apply."""
    seed_release(machine)
    build(machine, "sqs_poller")
    plan = plan_dev(machine)
    succeeded(plan)
    refreshed = json.loads(PLAN_FIXTURE.read_text())
    noop = next(r for r in refreshed["resource_changes"] if r["change"]["actions"] == ["no-op"])
    noop["change"]["before"] = {**(noop["change"]["before"] or {}), "refreshed_only": "new value"}
    noop["change"]["after"] = noop["change"]["before"]
    path = machine.tmp / "refreshed.json"
    path.write_text(json.dumps(refreshed))
    script(machine, plan_json=str(path))
    succeeded(apply_dev(machine, plan, NO_API))


def test_an_env_waits_for_the_env_before_it_in_the_same_run(machine: Machine) -> None:
    """The deploy's matrix runs one stage at a time; GitHub documents creation order, not start order. A
    stage whose predecessor has not finished in this run stops before planning anything."""
    seed_release(machine, "test")
    early = machine.job("_plan.yml", "plan", inputs={"environment": "test", "after": "dev"}, github=github("push"))
    run = early.run()
    assert run.status == "failure"
    assert run.step("The previous env finished in this run").outcome == "failure"
    assert machine.calls("terragrunt") == []
    done = machine.job(
        "_stage.yml",
        "promoted",
        inputs={"environment": "dev", "ref": git("rev-parse", "HEAD")},
        needs={"plan": {"result": "success", "outputs": {}}, "apply": {"result": "skipped", "outputs": {}}},
        github=github("push"),
    ).run()
    succeeded(done)
    marker = json.loads((machine.artifacts / "promoted-dev" / "dev.json").read_text())
    assert marker == {"environment": "dev", "commit": git("rev-parse", "HEAD"), "apply": "skipped", "digests": {}}
    succeeded(
        machine.job("_plan.yml", "plan", inputs={"environment": "test", "after": "dev"}, github=github("push")).run()
    )


def stage_job_runs(job: str, **needs_and_inputs: Any) -> bool:
    """Whether _stage.yml's job starts, by its own `if:` (GitHub asks an env's reviewers only then)."""
    stage = JobRunner(WORKFLOWS / "_stage.yml", job, Path("/nonexistent"), Path("/nonexistent"), **needs_and_inputs)
    return stage.condition(stage.definition.get("if"))


def test_an_env_whose_plan_changes_nothing_is_skipped_without_an_approval(machine: Machine) -> None:
    script(machine, plan_json=str(REPO_ROOT / "tests" / "fixtures" / "plans" / "no-changes.json"))
    seed_release(machine, "prod")
    plan = machine.job("_plan.yml", "plan", inputs={"environment": "prod"}, github=github("push")).run()
    succeeded(plan)
    assert plan.outputs["changes"] == "false"
    needs = {"plan": {"result": "success", "outputs": {"changes": plan.outputs["changes"]}}}
    assert not stage_job_runs("apply", needs=needs, inputs={"doc-configs": False})
    assert stage_job_runs("apply", needs=needs, inputs={"doc-configs": True})  # configs to publish: reviewed
    changed = {"plan": {"result": "success", "outputs": {"changes": "true"}}}
    assert stage_job_runs("apply", needs=changed, inputs={"doc-configs": False})
    skipped = {**needs, "apply": {"result": "skipped", "outputs": {}}}
    assert stage_job_runs("promoted", needs=skipped, inputs={})  # the next env may go on
    rejected = {**needs, "apply": {"result": "failure", "outputs": {}}}
    assert not stage_job_runs("promoted", needs=rejected, inputs={})  # a rejected or failed env stops it


def test_a_deleted_unit_is_planned_as_a_destroy_in_its_tree_and_applied_after_review(machine: Machine) -> None:
    workspace = machine.workspace
    base = subprocess.run(["git", "-C", str(workspace), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()  # fmt: skip
    subprocess.run(["git", "-C", str(workspace), "rm", "-rq", "live/dev/eu-west-1/monitoring"], check=True)
    subprocess.run(["git", "-C", str(workspace), "-c", "user.name=x", "-c", "user.email=x@example.com",
                    "commit", "-qm", "remove monitoring"], check=True)  # fmt: skip
    destroying = json.loads(PLAN_FIXTURE.read_text())
    for change in destroying["resource_changes"]:
        change["change"]["actions"] = ["delete"]
    path = machine.tmp / "destroy.json"
    path.write_text(json.dumps(destroying))
    script(machine, plan_json=str(path))
    seed_release(machine)
    plan = machine.job("_plan.yml", "plan", inputs={"environment": "dev", "base": base}, github=github("push")).run()
    succeeded(plan)
    planned = machine.calls("terragrunt")
    assert [c["argv"][-3:] for c in planned] == [["plan", "-destroy", "-lock-timeout=5m"]]  # nothing else moves
    tree = machine.tmp / "_plan.yml-plan-0" / f"plan-tree-{base[:12]}"
    assert Path(planned[0]["cwd"]) == tree / "live" / "dev"
    assert (tree / "live" / "dev" / "eu-west-1" / "monitoring" / "terragrunt.hcl").is_file()
    reviewed = machine.artifacts / "plan-dev"
    destroys = json.loads((reviewed / "destroys.json").read_text())
    assert destroys == {"after_applies": False, "units": [{"unit": "eu-west-1/monitoring", "commit": base}]}
    assert not (reviewed / "filters").exists()
    comment = (reviewed / "comment.md").read_text()
    assert "will be destroyed or replaced" in comment  # the destroy banner
    assert "eu-west-1/monitoring" in comment
    apply = apply_dev(machine, plan, NO_API)
    succeeded(apply)
    destroyed = [c for c in machine.calls("terragrunt") if "apply" in c["argv"]]
    assert len(destroyed) == 1
    assert destroyed[0]["argv"][destroyed[0]["argv"].index("--out-dir") + 1].endswith("reviewed/destroy-bin")
    assert Path(destroyed[0]["cwd"]).parent.parent.name == f"reviewed-tree-{base[:12]}"


def test_a_dispatch_deploys_the_commit_it_names_if_it_is_on_main(machine: Machine) -> None:
    target = git("rev-parse", "HEAD~1")
    run = machine.job("deploy.yml", "changes", inputs={"ref": target[:10]}, github=github("workflow_dispatch")).run()
    succeeded(run)
    assert run.outputs["sha"] == target  # the full SHA: build, plan and apply check out this one
    assert sorted(json.loads(run.outputs["functions"])) == sorted(FUNCTIONS)  # a dispatch deploys in full


def test_a_dispatch_reads_the_envs_and_functions_of_the_commit_it_deploys(machine: Machine) -> None:
    """main has since gained an env: a dispatch of the older commit deploys that commit's envs only."""
    from tests.infra.test_env_list import add_staging

    add_staging(machine.workspace)
    subprocess.run(["git", "-C", str(machine.workspace), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(machine.workspace), "-c", "user.name=x", "-c", "user.email=x@example.com",
                    "commit", "-qm", "add staging"], check=True)  # fmt: skip
    target = git("rev-parse", "HEAD")  # on origin/main, before staging
    run = machine.job("deploy.yml", "changes", inputs={"ref": target}, github=github("workflow_dispatch")).run()
    succeeded(run)
    assert [stage["environment"] for stage in json.loads(run.outputs["stages"])] == ["dev", "test", "prod"]


def test_a_dispatch_of_a_commit_that_is_not_on_main_is_refused(machine: Machine) -> None:
    stray = subprocess.run(  # a commit on top of main that was never merged (e.g. a fork's or a branch's)
        ["git", "-C", str(machine.workspace), "-c", "user.name=x", "-c", "user.email=x@example.com",
         "commit-tree", "HEAD^{tree}", "-p", "HEAD", "-m", "not reviewed"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    run = machine.job("deploy.yml", "changes", inputs={"ref": stray}, github=github("workflow_dispatch")).run()
    assert run.status == "failure"
    step = run.step("The commit every job deploys (on main only)")
    assert "is not on origin/main" in step.output


def test_every_job_of_a_deploy_checks_out_the_commit_the_changes_job_resolved() -> None:
    """The dispatch input used to reach only the changes job: build, plan and apply deployed github.sha."""
    import yaml

    deploy = yaml.safe_load((WORKFLOWS / "deploy.yml").read_text())
    for name, job in deploy["jobs"].items():
        if "uses" in job:
            assert job["with"]["ref"] == "${{ needs.changes.outputs.sha }}", name
    for reusable in ("_build-images.yml", "_plan.yml", "_apply.yml"):
        document = yaml.safe_load((WORKFLOWS / reusable).read_text())
        for job in document["jobs"].values():
            checkouts = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout@")]
            assert checkouts, reusable
            assert all(s["with"]["ref"] == "${{ inputs.ref }}" for s in checkouts), reusable


def test_a_first_deploy_is_planned_from_mocks_marked_so_and_applied_in_dependency_order(machine: Machine) -> None:
    """Empty state: Terragrunt plans from mock_outputs. The plan says so; the apply never uses it as saved."""
    first = json.loads(PLAN_FIXTURE.read_text())
    first["variables"] = {"kms_key_arn": {"value": "arn:aws:kms:eu-west-1:111111111111:key/mock"}}
    mocked_plan = machine.tmp / "first-deploy.json"
    mocked_plan.write_text(json.dumps(first))
    script = json.loads(Path(machine.env["STAND_IN_SCRIPT"]).read_text())
    script["plan_json"] = str(mocked_plan)
    Path(machine.env["STAND_IN_SCRIPT"]).write_text(json.dumps(script))
    seed_release(machine)  # (a first deploy builds every image: see the first-push changes test)
    build(machine, "sqs_poller")
    plan = plan_dev(machine)
    succeeded(plan)
    assert plan.outputs["mocked"] == "true"
    comment = (machine.artifacts / "plan-dev" / "comment.md").read_text()
    assert "Planned with mock outputs" in comment
    assert "kms_key_arn" in comment
    apply = apply_dev(machine, plan, NO_API, mocked=plan.outputs["mocked"] == "true")
    succeeded(apply)
    applied = [c for c in machine.calls("terragrunt") if "apply" in c["argv"]]
    assert len(applied) == 1
    assert "--out-dir" not in applied[0]["argv"]  # not the saved plans made from mocks


def failing_deploy(machine: Machine) -> JobRun:
    """Deploy HEAD to dev; its validation fails (the API does not answer)."""
    script = json.loads(Path(machine.env["STAND_IN_SCRIPT"]).read_text())
    script["rules"][0]["stdout"] = "http://127.0.0.1:9/dev"  # terragrunt output api_url: nothing listens
    Path(machine.env["STAND_IN_SCRIPT"]).write_text(json.dumps(script))
    build(machine, "sqs_poller")
    plan = plan_dev(machine)
    succeeded(plan)
    return apply_dev(machine, plan, {"Rollback - restore its doc-configs": "BDA's control plane has no local server"})


def test_a_failed_validation_rolls_back_to_the_last_validated_release_in_the_same_job(machine: Machine) -> None:
    info = env_info("dev")
    previous = Release(git("rev-parse", "HEAD~1"), dict.fromkeys(FUNCTIONS, "sha256:" + "a" * 64))
    ssm = machine.server.client("ssm", info.region)
    ssm.put_parameter(Name=manifest_parameter("dev"), Value=previous.to_json(), Type="String")
    run = failing_deploy(machine)
    assert run.status == "failure"
    assert run.step("Smoke test").outcome == "failure"
    assert run.step("Record the release").outcome == "skipped"  # a failed release is never recorded
    assert run.step("Rollback - the last validated release").outcome == "success"
    restore = [c for c in machine.calls("terragrunt") if "apply" in c["argv"]][-1]
    # The release's own module code, its images, every unit applied in dependency order.
    assert Path(restore["cwd"]) == machine.tmp / "_apply.yml-apply-2" / "release" / "live" / "dev"
    assert json.loads(restore["env"]["IDP_IMAGE_DIGESTS"]) == previous.digests
    assert "--out-dir" not in restore["argv"]
    restored = subprocess.run(
        ["git", "-C", restore["cwd"], "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert restored == previous.commit
    assert Release.from_json(ssm.get_parameter(Name=manifest_parameter("dev"))["Parameter"]["Value"]) == previous
    audit = json.loads(next(c for c in machine.calls("aws") if c["argv"][:2] == ["s3", "cp"])["stdin"])
    assert audit["outcome"] == "failure"
    assert audit["rolled_back_to"] == previous.commit
    assert audit["rollback"] == "failed"  # its validation is skipped here (doc-configs not restored)


def test_a_first_deploy_that_fails_has_nothing_to_roll_back_to_and_says_so(machine: Machine) -> None:
    for function in FUNCTIONS:  # a first deploy builds every image (one leg runs for real in failing_deploy)
        if function != "sqs_poller":
            folder = machine.artifacts / f"digest-{function}"
            folder.mkdir()
            digest = {"function": function, "digest": "sha256:" + "e" * 64}
            (folder / f"digest-{function}.json").write_text(json.dumps(digest))
    run = failing_deploy(machine)
    step = run.step("Rollback - the last validated release")
    assert step.outcome == "failure"
    assert "nothing to roll back to" in step.output
    assert run.step("Rollback - restore its infrastructure and images").outcome == "skipped"
    audit = json.loads(next(c for c in machine.calls("aws") if c["argv"][:2] == ["s3", "cp"])["stdin"])
    assert audit["rollback"] == "failed"


def test_a_validated_release_has_its_images_kept_by_the_registry(machine: Machine) -> None:
    """After the apply job, the push role (registry account) tags the release's images release-<env>-<commit>:
    the ECR lifecycle's first rule keeps them, so a rollback of any env finds its images."""
    from idp.naming import repository

    info = env_info("dev")  # the registry account
    ecr = machine.server.client("ecr", info.region)
    digests = {}
    for function in FUNCTIONS:
        ecr.create_repository(repositoryName=repository(function), imageTagMutability="IMMUTABLE")
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"digest": f"sha256:{function}"},
            "layers": [],
        }
        pushed = ecr.put_image(repositoryName=repository(function), imageManifest=json.dumps(manifest), imageTag="c1")
        digests[function] = pushed["image"]["imageId"]["imageDigest"]
    commit = git("rev-parse", "HEAD")
    run = machine.job(
        "_apply.yml",
        "keep-images",
        inputs={"environment": "prod", "infrastructure": True, "digests": json.dumps(digests), "ref": commit},
        github=github("push"),
    ).run()
    succeeded(run)
    assert ("aws-actions/configure-aws-credentials", {"role-to-assume": info.image_push_role_arn,
            "aws-region": info.region, "role-session-name": "keep-prod-4242"}) in machine_runs(machine)  # fmt: skip
    for function, digest in digests.items():
        tags = ecr.describe_images(repositoryName=repository(function), imageIds=[{"imageDigest": digest}])
        assert f"release-prod-{commit[:12]}" in tags["imageDetails"][0]["imageTags"], function


def pull_request(machine: Machine) -> dict[str, Any]:
    base = git("rev-parse", "HEAD~2")
    return github("pull_request", event={"pull_request": {"number": 12, "base": {"sha": base}}})


def test_a_pull_request_plans_the_envs_it_touches_and_posts_the_plan(machine: Machine) -> None:
    """pr.yml: changes, then a plan per touched env with the sticky comment. (lint-and-test runs
    `make test` - this suite - and security the lint gate's checks: both run in `make test` itself.)"""
    changes = machine.job("pr.yml", "changes", github=pull_request(machine)).run()
    succeeded(changes)
    envs = json.loads(changes.outputs["envs"])
    assert set(envs) <= {"dev", "test", "prod"}
    assert json.loads(changes.outputs["all_envs"]) == ["dev", "test", "prod"]  # the outdated notices' matrix
    seed_release(machine)
    plan = machine.job(
        "_plan.yml", "plan", inputs={"environment": "dev", "comment": True}, github=pull_request(machine)
    ).run()
    succeeded(plan)
    sticky = [given for action, given in machine_runs(machine) if action == "marocchino/sticky-pull-request-comment"]
    assert sticky == [{"header": "plan-dev", "path": str(machine.runners[-1].runner_temp / "plan" / "comment.md")}]
    assert not (machine.artifacts / "plan-dev").exists()  # a PR's plan files (values in clear) are not kept


def drift_report(machine: Machine, plan_json: Path, open_issue: str) -> JobRun:
    script = json.loads(Path(machine.env["STAND_IN_SCRIPT"]).read_text())
    script["plan_json"] = str(plan_json)
    script["rules"].insert(0, {"tool": "gh", "words": ["issue", "list"], "stdout": open_issue})
    script["rules"].insert(0, {"tool": "gh", "words": ["issue", "close"]})
    Path(machine.env["STAND_IN_SCRIPT"]).write_text(json.dumps(script))
    seed_release(machine)
    plan = machine.job("_plan.yml", "plan", inputs={"environment": "dev"}, github=github("schedule")).run()
    succeeded(plan)
    report = machine.job("drift.yml", "report", matrix={"environment": "dev"}, github=github("schedule")).run()
    succeeded(report)
    return report


def test_drift_opens_or_updates_the_envs_issue(machine: Machine) -> None:
    report = drift_report(machine, PLAN_FIXTURE, open_issue="")
    assert report.step("Find the open drift issue").outputs == {"number": "", "drift": "true"}
    issue = [given for action, given in machine_runs(machine) if action == "peter-evans/create-issue-from-file"]
    assert issue == [
        {"title": "Drift in dev", "content-filepath": "plan/comment.md", "labels": "drift:dev", "issue-number": ""}
    ]


def test_no_drift_closes_the_open_issue(machine: Machine) -> None:
    clean = REPO_ROOT / "tests" / "fixtures" / "plans" / "no-changes.json"
    report = drift_report(machine, clean, open_issue="7")
    assert report.step("Find the open drift issue").outputs == {"number": "7", "drift": "false"}
    closed = [c["argv"] for c in machine.calls("gh") if c["argv"][:2] == ["issue", "close"]]
    assert closed == [
        ["issue", "close", "7", "--repo", "example-org/idp-platform", "--comment", "No drift in dev any more."]
    ]


def test_a_failed_pr_plan_replaces_the_sticky_comment_with_that_fact(machine: Machine) -> None:
    script = json.loads(Path(machine.env["STAND_IN_SCRIPT"]).read_text())
    script["plan_fails"] = True
    Path(machine.env["STAND_IN_SCRIPT"]).write_text(json.dumps(script))
    seed_release(machine)
    plan = machine.job(
        "_plan.yml", "plan", inputs={"environment": "dev", "comment": True}, github=pull_request(machine)
    ).run()
    assert plan.status == "failure"
    assert plan.step("Sticky PR comment").outcome == "skipped"
    sticky = [given for action, given in machine_runs(machine) if action == "marocchino/sticky-pull-request-comment"]
    failed = machine.runners[-1].runner_temp / "plan" / "failed.md"
    assert sticky == [{"header": "plan-dev", "path": str(failed)}]  # the same comment, replaced
    assert "The plan of `dev` failed" in failed.read_text()
    assert "actions/runs/4242" in failed.read_text()


@pytest.mark.parametrize(
    ("touched", "says"),
    [('["dev"]', "a new plan for"), ('["test"]', "This pull request no longer changes `dev`")],
    ids=["still touched", "no longer touched"],
)
def test_a_new_commit_marks_the_posted_plan_outdated(machine: Machine, touched: str, says: str) -> None:
    event = pull_request(machine)
    event["event"]["pull_request"]["head"] = {"sha": "f" * 40}
    run = machine.job(
        "pr.yml", "outdated", matrix={"environment": "dev"}, needs={"changes": {"outputs": {"envs": touched}}},
        github=event,
    ).run()  # fmt: skip
    succeeded(run)
    sticky = [given for action, given in machine_runs(machine) if action == "marocchino/sticky-pull-request-comment"]
    assert sticky == [{"header": "plan-dev", "path": "outdated.md", "only_update": "true"}]  # never a new comment
    assert says in (machine.workspace / "outdated.md").read_text()


@pytest.mark.parametrize(
    ("envs", "result", "passes"),
    [('["dev", "prod"]', "success", True), ('["dev"]', "failure", False), ("[]", "skipped", True),
     ('["dev"]', "skipped", False)],
    ids=["all planned", "a plan failed", "nothing to plan", "plans never ran"],
)  # fmt: skip
def test_the_required_plans_check_fails_unless_every_touched_env_planned(
    machine: Machine, envs: str, result: str, passes: bool
) -> None:
    needs = {"changes": {"outputs": {"envs": envs}}, "plan": {"result": result, "outputs": {}}}
    run = machine.job("pr.yml", "plans", needs=needs, github=pull_request(machine)).run()
    assert (run.status == "success") == passes
