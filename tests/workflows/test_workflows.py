"""Structural rules every workflow keeps (actionlint, zizmor and check-jsonschema run in the lint gate)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO_ROOT, SHARED_DIR

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
ACTION_FILES = sorted((REPO_ROOT / ".github" / "actions").rglob("action.yml"))
USES = re.compile(r"^\s*-?\s*uses:\s*(\S+)(?:\s*#\s*(\S+))?", re.MULTILINE)
SHA_PIN = re.compile(r"^[\w.-]+/[\w.-]+(?:/[\w./-]+)?@[0-9a-f]{40}$")


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the `on:` key as True
    if True in data:
        data["on"] = data.pop(True)
    return dict(data)


def jobs(path: Path) -> dict[str, dict[str, Any]]:
    return dict(load(path)["jobs"])


@pytest.mark.parametrize("path", FILES + ACTION_FILES, ids=lambda p: p.name)
def test_every_external_action_is_pinned_to_a_full_sha_with_its_version(path: Path) -> None:
    for ref, comment in USES.findall(path.read_text()):
        if ref.startswith("./"):
            continue
        assert SHA_PIN.match(ref), f"{path.name}: {ref} is not pinned to a 40-character commit SHA"
        assert re.match(r"v\d+\.\d+\.\d+$", comment or ""), f"{path.name}: {ref} needs a `# vX.Y.Z` comment"


@pytest.mark.skipif(
    not (SHARED_DIR / "ACTION-PINS.md").is_file(), reason="../shared/ACTION-PINS.md not beside this clone"
)
def test_pins_are_the_resolved_ones() -> None:
    table = (SHARED_DIR / "ACTION-PINS.md").read_text()
    known = {
        (m.group(1), m.group(3))
        for m in re.finditer(r"\| ([\w.-]+/[\w.-]+)[^|]*\| (v[\d.]+) \| ([0-9a-f]{40}) \|", table)
    }
    known_shas = {sha for _, sha in known}
    for path in FILES + ACTION_FILES:
        for ref, _ in USES.findall(path.read_text()):
            if ref.startswith("./"):
                continue
            assert ref.rsplit("@", 1)[1] in known_shas, f"{path.name}: {ref} is not a SHA from ACTION-PINS.md"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_top_level_permissions_are_empty_and_no_pull_request_target(path: Path) -> None:
    data = load(path)
    assert data.get("permissions") == {}, f"{path.name}: top-level permissions must be {{}}"
    assert "pull_request_target" not in data["on"], f"{path.name}: pull_request_target is not allowed"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_job_has_a_timeout_and_least_permissions(path: Path) -> None:
    for name, job in jobs(path).items():
        if "uses" in job:  # a call of a reusable workflow: its own jobs are checked in their file
            continue
        assert isinstance(job.get("timeout-minutes"), int), f"{path.name}: job {name} has no timeout-minutes"
        perms = job.get("permissions", {})
        assert perms not in ("write-all", "read-all"), f"{path.name}: job {name} has blanket permissions"
        assert set(perms.values()) <= {"read", "write", "none"}
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False, (
                    f"{path.name}: {name} persists credentials"
                )


def assumes_role(job: dict[str, Any]) -> bool:
    return any("configure-aws-credentials" in str(step.get("uses", "")) for step in job.get("steps", []))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_oidc_only_where_a_role_is_assumed(path: Path) -> None:
    for name, job in jobs(path).items():
        if "uses" in job:
            continue
        wants_token = job.get("permissions", {}).get("id-token") == "write"
        assert wants_token == assumes_role(job), f"{path.name}: job {name} id-token: write must go with an assumed role"
        text = yaml.safe_dump(job)
        assert "aws-access-key-id" not in text, f"{path.name}: {name} uses keys"
        assert "AWS_SECRET_ACCESS_KEY" not in text, f"{path.name}: {name} uses keys"


def test_no_job_assumes_an_apply_role_without_an_environment() -> None:
    for path in FILES:
        for name, job in jobs(path).items():
            if "uses" in job:
                continue
            roles = [str(s.get("with", {}).get("role-to-assume", "")) for s in job.get("steps", [])]
            if any("apply_role_arn" in role for role in roles):
                assert job.get("environment") == "${{ inputs.environment }}", (
                    f"{path.name}: {name} needs an environment"
                )
                assert job["concurrency"]["cancel-in-progress"] is False
                assert job["concurrency"]["group"] == "deploy-${{ inputs.environment }}"


def test_envs_are_promoted_one_at_a_time_in_the_lists_order() -> None:
    """deploy.yml names no env: its stages come from `idp changes` (live/environments.hcl's order), run
    one at a time, a failure or rejection stops the rest, and each stage checks its predecessor."""
    deploy = jobs(WORKFLOWS / "deploy.yml")
    stage = deploy["deploy"]
    assert stage["uses"] == "./.github/workflows/_stage.yml"
    assert stage["strategy"]["max-parallel"] == 1
    assert stage["strategy"]["fail-fast"] is True
    assert stage["strategy"]["matrix"]["stage"] == "${{ fromJSON(needs.changes.outputs.stages) }}"
    assert stage["with"]["environment"] == "${{ matrix.stage.environment }}"
    assert stage["with"]["after"] == "${{ matrix.stage.after }}"
    assert set(stage["needs"]) == {"changes", "build"}
    inner = jobs(WORKFLOWS / "_stage.yml")
    assert inner["plan"]["with"]["after"] == "${{ inputs.after }}"
    assert inner["apply"]["needs"] == "plan"
    assert inner["apply"]["uses"] == "./.github/workflows/_apply.yml"
    guard = jobs(WORKFLOWS / "_plan.yml")["plan"]["steps"][0]
    assert guard["with"]["name"] == "promoted-${{ inputs.after }}"
    assert set(inner["promoted"]["needs"]) == {"plan", "apply"}


def test_build_matrix_is_fed_from_the_changes_job_and_guarded() -> None:
    deploy = jobs(WORKFLOWS / "deploy.yml")
    assert deploy["build"]["with"]["functions"] == "${{ needs.changes.outputs.functions }}"
    assert "needs.changes.outputs.functions != '[]'" in deploy["build"]["if"]
    build = jobs(WORKFLOWS / "_build-images.yml")["build"]
    assert build["strategy"]["matrix"]["function"] == "${{ fromJSON(inputs.functions) }}"
    assert "inputs.functions != '[]'" in build["if"]
    push = next(s for s in build["steps"] if "build-push-action" in str(s.get("uses", "")))
    assert push["with"]["provenance"] is False
    assert push["with"]["sbom"] is False
    assert "scope=${{ matrix.function }}" in push["with"]["cache-from"]


def test_untrusted_input_only_through_env() -> None:
    untrusted = re.compile(r"\$\{\{\s*github\.(event\.(pull_request|issue|comment|head_commit)|head_ref)")
    for path in FILES:
        for name, job in jobs(path).items():
            for step in job.get("steps", []):
                assert not untrusted.search(str(step.get("run", ""))), (
                    f"{path.name}: {name} expands untrusted input in run"
                )


def test_pr_workflow_runs_the_gate_and_cancels_superseded_runs() -> None:
    pr = load(WORKFLOWS / "pr.yml")
    assert pr["concurrency"]["cancel-in-progress"] is True
    steps = jobs(WORKFLOWS / "pr.yml")["lint-and-test"]["steps"]
    assert any(s.get("run") == "make test" for s in steps)


def test_pr_plans_run_beside_the_gate_not_after_it() -> None:
    """#22: a plan needs nothing `make test` makes - waiting for it made every PR plan ~13 min late.
    Fails if pr.yml's plan job needs lint-and-test again or reads its result."""
    plan = jobs(WORKFLOWS / "pr.yml")["plan"]
    assert "lint-and-test" not in plan["needs"]
    assert "lint-and-test" not in plan["if"]


def test_every_install_is_cached_by_its_lock_files() -> None:
    """#22: uv's and npm's downloads keyed by uv.lock / package-lock.json, the providers by the units'
    lock files, and Terragrunt's provider cache server on for every job that sets up (its units share
    one download, concurrency-safe). Fails if a cache is dropped or keyed by something else."""
    steps = load(REPO_ROOT / ".github" / "actions" / "setup" / "action.yml")["runs"]["steps"]
    caches = {s["with"]["path"]: s["with"]["key"] for s in steps if str(s.get("uses", "")).startswith("actions/cache@")}
    assert "hashFiles('uv.lock', 'tools/envs/checkov/uv.lock')" in caches["~/.cache/uv"]
    assert "hashFiles('tools/node/package-lock.json')" in caches["~/.npm"]
    assert "hashFiles('live/**/.terraform.lock.hcl')" in caches["~/.cache/terragrunt/providers"]
    exported = "\n".join(str(s.get("run", "")) for s in steps)
    assert "TG_PROVIDER_CACHE=1" in exported
    assert "TG_PROVIDER_CACHE_DIR=${HOME}/.cache/terragrunt/providers" in exported
    install = next(i for i, s in enumerate(steps) if s.get("run") == "make setup")
    assert all(i < install for i, s in enumerate(steps) if s.get("uses", "").startswith("actions/cache@"))


def test_toolchain_versions_come_from_mise_only() -> None:
    action = (REPO_ROOT / ".github" / "actions" / "setup" / "action.yml").read_text()
    assert "jdx/mise-action@" in action
    for path in FILES:
        text = path.read_text()
        assert "terraform_version" not in text, f"{path.name} pins terraform itself"
        assert "terragrunt_version" not in text, f"{path.name} pins terragrunt itself"


@pytest.mark.parametrize(
    ("line", "version"), [('min_version = "2026.9.15"\n', "2026.9.15"), ("", None)], ids=["pinned", "missing"]
)
def test_mise_itself_is_installed_at_the_version_mise_toml_pins(tmp_path: Path, line: str, version: str | None) -> None:
    """The setup action's first step, run: it reads min_version, or fails (mise-action would take latest)."""
    action = load(REPO_ROOT / ".github" / "actions" / "setup" / "action.yml")
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "mise")
    mise_action = next(s for s in action["runs"]["steps"] if "jdx/mise-action@" in str(s.get("uses")))
    assert mise_action["with"]["version"] == "${{ steps.mise.outputs.version }}"
    (tmp_path / ".mise.toml").write_text(line + '[tools]\nterraform = "1.15.6"\n')
    out = tmp_path / "out"
    done = subprocess.run(["bash", "-eo", "pipefail", "-c", step["run"]], cwd=tmp_path, env={**os.environ,
                          "GITHUB_OUTPUT": str(out)}, capture_output=True, text=True, check=False)  # fmt: skip
    if version is None:
        assert done.returncode != 0
        assert "no min_version" in done.stderr
    else:
        assert done.returncode == 0, done.stderr
        assert out.read_text() == f"version={version}\n"
    pinned = re.search(r'^min_version = "(.+)"$', (REPO_ROOT / ".mise.toml").read_text(), re.M)
    assert pinned is not None  # and the repository's own file has it


# What a step's working directory looks like at run time, for the expressions the workflows use.
EXPRESSION_VALUES = {"inputs.environment": "dev", "steps.env.outputs.region": "eu-west-1", "matrix.environment": "dev"}
REPO_PATH = re.compile(r"(?<![\w/$.-])((?:\./)?(?:scripts|tools|live|modules|lambdas|samples|doc-configs)/[\w./-]+)")


def run_steps(path: Path) -> list[tuple[str, str, str]]:
    """(step name, working directory as it resolves, script) of every run step."""
    found = []
    for job in jobs(path).values():
        default = (job.get("defaults") or {}).get("run", {}).get("working-directory", ".")
        for step in job.get("steps") or []:
            if "run" not in step:
                continue
            where = str(step.get("working-directory", default))
            where = re.sub(r"\$\{\{\s*([\w.-]+)\s*\}\}", lambda m: EXPRESSION_VALUES.get(m.group(1), "UNKNOWN"), where)
            found.append((str(step.get("name", "?")), where, str(step["run"])))
    return found


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_repository_path_a_step_runs_resolves_from_its_working_directory(path: Path) -> None:
    """`scripts/in-env` from live/<env> is exit 127 on the runner: a relative path resolves where the step runs."""
    broken = []
    for name, where, script in run_steps(path):
        for relative in REPO_PATH.findall(script):
            candidate = (REPO_ROOT / where / relative.split("$")[0]).resolve()
            if "UNKNOWN" in where or not candidate.exists():
                broken.append(f"{name}: {relative} from {where}")
    assert broken == []


def test_every_job_of_a_deploy_checks_out_the_commit_the_changes_job_resolved() -> None:
    """The dispatch input used to reach only the changes job: build, plan and apply deployed github.sha."""
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
