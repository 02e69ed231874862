"""Environments are data: adding a fourth env is one entry in live/environments.hcl (plus the env's own
new folder) and every consumer follows - the change detection, the deploy's stages, the PR plans, the
drift report, the registry's pull accounts, the GitHub environments, the account facts."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from idp.cli import app
from idp.environments import EnvironmentsError, environments
from idp.release import env_info
from idp.terraform import terraform_binary, terraform_env
from tests.conftest import REPO_ROOT
from tests.infra.terragrunt_eval import evaluate
from tests.tools.repo_tree import commit, git, infrastructure_repo

runner = CliRunner()
needs_terraform = pytest.mark.skipif(shutil.which("terraform") is None, reason="needs terraform (README)")
STAGING_ACCOUNT = "444444444444"


def add_staging(repo: Path) -> None:
    """What a user does: one entry in the list, and the env's folder (copied from test, its account)."""
    listed = repo / "live" / "environments.hcl"
    text = listed.read_text()
    start = text.index('      name       = "test"\n')  # the test entry's block; staging right after it
    end = text.index("    },\n", start) + len("    },\n")
    staging = (
        '    {\n      name       = "staging"\n      protected  = true\n      wait_timer = 5\n'
        '      traffic    = { shift = "canary", percent = 10, every_minutes = 5, bake_minutes = 5 }\n    },\n'
    )
    listed.write_text(text[:end] + staging + text[end:])
    shutil.copytree(repo / "live" / "test", repo / "live" / "staging")
    account = repo / "live" / "staging" / "account.hcl"
    test_id = env_info("test").account_id
    account.write_text(account.read_text().replace(test_id, STAGING_ACCOUNT).replace('"test"', '"staging"'))


@pytest.fixture
def staged(tmp_path: Path) -> tuple[Path, str]:
    repo = infrastructure_repo(tmp_path / "repo", ["sqs_poller"])
    base = git(repo, "rev-parse", "HEAD")
    add_staging(repo)
    return repo, base


def test_adding_an_env_touches_one_existing_file(staged: tuple[Path, str]) -> None:
    repo, _ = staged
    status = [line.strip() for line in git(repo, "status", "--porcelain", "--untracked-files=normal").splitlines()]
    assert status == ["M live/environments.hcl", "?? live/staging/"]


def test_the_new_env_is_in_every_list_in_promotion_order(staged: tuple[Path, str]) -> None:
    repo, base = staged
    result = runner.invoke(app, ["envs", "--repo", str(repo)])
    assert result.exit_code == 0, result.output
    assert 'names=["dev", "test", "staging", "prod"]' in result.output.splitlines()
    commit(repo, "add staging")
    changes = runner.invoke(app, ["changes", "--base", base, "--repo", str(repo)])
    assert changes.exit_code == 0, changes.output
    found = json.loads(changes.output)
    assert found["envs"] == ["dev", "test", "staging", "prod"]
    assert found["new_envs"] == ["staging"]  # its first deploy publishes the doc-configs there
    assert len(found["units"]["staging"]) == 8  # every unit of the new env
    # The registry's pull list is every env's ecr input: ecr and the units that depend on it re-plan.
    assert found["units"]["prod"][:2] == ["eu-west-1/ecr", "eu-west-1/compute"]
    everything = json.loads(runner.invoke(app, ["changes", "--all", "--repo", str(repo)]).output)
    assert everything["stages"][2] == {"environment": "staging", "after": "test"}
    assert everything["stages"][3] == {"environment": "prod", "after": "staging"}
    assert env_info("staging", repo / "live").account_id == STAGING_ACCOUNT


@needs_terraform
def test_the_registry_lets_the_new_env_pull_and_github_gets_its_environment(
    staged: tuple[Path, str], tmp_path: Path
) -> None:
    repo, _ = staged
    ecr = evaluate(repo / "live" / "_units" / "ecr.hcl", repo, tmp_path / "ecr")
    accounts = {env: env_info(env, repo / "live").account_id for env in ("dev", "test", "staging", "prod")}
    assert ecr["inputs"]["registry_account_id"] == accounts["dev"]
    assert ecr["inputs"]["pull_account_ids"] == [accounts["test"], STAGING_ACCOUNT, accounts["prod"]]
    github = evaluate(repo / "live" / "_github" / "terragrunt.hcl", repo, tmp_path / "github")
    environments_input = github["inputs"]["environments"]
    assert list(environments_input) == ["dev", "prod", "staging", "test"]  # a map: sorted by terraform
    staging = environments_input["staging"]
    assert (staging["account_id"], staging["protected"], staging["wait_timer"]) == (STAGING_ACCOUNT, True, 5)
    assert staging["apply_role_arn"] == f"arn:aws:iam::{STAGING_ACCOUNT}:role/idp-platform-staging-apply"
    listed = {env.name: env for env in environments(repo)}
    for name, given in environments_input.items():  # every value comes from the list
        assert (given["protected"], given["wait_timer"]) == (listed[name].protected, listed[name].wait_timer)
        assert bool(given["reviewer_users"] or given["reviewer_teams"]) is False  # yours to fill in (README)
    assert github["inputs"]["repository_variables"]["ECR_REGISTRY"].startswith(accounts["dev"])


@needs_terraform
@pytest.mark.parametrize(
    ("reviewers", "refused"),
    [("", True), ("reviewer_users = [4242]", False), ("reviewer_teams = [7]", False)],
    ids=["no reviewers", "a user", "a team"],
)
def test_the_github_environments_of_the_list_need_reviewers(tmp_path: Path, reviewers: str, refused: bool) -> None:
    """live/_github evaluated from the list, then modules/github-repository's own variable validation
    run by terraform on it (the module's provider, integrations/github, is not installable here: its
    variables.tf alone needs none). As shipped - no reviewer ids - every protected env is refused."""
    repo = infrastructure_repo(tmp_path / "repo", [])
    github = repo / "live" / "_github" / "terragrunt.hcl"
    if reviewers:
        name = reviewers.split(" =", maxsplit=1)[0]
        github.write_text(github.read_text().replace(f"  {name} = []", f"  {reviewers}"))
    inputs = evaluate(github, repo, tmp_path / "eval")["inputs"]
    check = tmp_path / "check"
    check.mkdir()
    shutil.copy(REPO_ROOT / "modules" / "github-repository" / "variables.tf", check / "variables.tf")
    (check / "terraform.tfvars.json").write_text(
        json.dumps({"repository": inputs["repository"], "environments": inputs["environments"]})
    )
    env = terraform_env(check)
    subprocess.run([terraform_binary(), "init", "-input=false"], cwd=check, env=env, check=True, capture_output=True)
    plan = subprocess.run(
        [terraform_binary(), "plan", "-input=false", "-no-color"], cwd=check, env=env, capture_output=True,
        text=True, check=False,
    )  # fmt: skip
    assert (plan.returncode != 0) == refused, plan.stdout + plan.stderr
    if refused:
        assert "A protected environment needs required reviewers" in plan.stderr


def test_no_workflow_names_an_env() -> None:
    """Every env a workflow runs comes from `idp envs`/`idp changes` (the list), never a literal."""
    names = [env.name for env in environments()]
    literal = re.compile(r"^\s*(environment|environments|env)\s*:\s*\[?\s*(" + "|".join(names) + r")\b", re.M)
    for path in sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml")):
        text = path.read_text()
        assert not literal.search(text), f"{path.name}: {literal.search(text)}"
        for name, job in yaml.safe_load(text)["jobs"].items():
            matrix = (job.get("strategy") or {}).get("matrix") or {}
            for key, value in matrix.items():
                if key in {"environment", "stage"}:
                    assert str(value).startswith("${{ fromJSON("), f"{path.name}: {name}"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace('name       = "test"', 'name = "dev"'), "'dev' is listed twice"),
        (lambda t: t.replace('name       = "prod"', 'name = "qa"'), "'qa' has no live/qa/account.hcl"),
        (lambda t: t.replace("wait_timer = 10", 'wait_timer = "ten"'), "prod.wait_timer must be whole minutes"),
        (lambda t: t.replace("environments = [", "environments = [\n    {},"), "environments[0] needs a name"),
        (lambda t: t.replace("wait_timer = 10\n", "\n"), "prod needs wait_timer"),
        (lambda t: t.replace('shift = "linear"', 'shift = "blue-green"'), "prod: traffic.shift is 'blue-green'"),
    ],
    ids=["duplicate", "no folder", "bad wait timer", "no name", "no wait timer", "bad traffic shift"],
)
def test_a_bad_list_is_refused_with_where_and_how(tmp_path: Path, edit: object, message: str) -> None:
    repo = infrastructure_repo(tmp_path / "repo", [])
    listed = repo / "live" / "environments.hcl"
    listed.write_text(edit(listed.read_text()))  # type: ignore[operator]
    with pytest.raises(EnvironmentsError, match=re.escape(message)):
        environments(repo)
    result = runner.invoke(app, ["envs", "--repo", str(repo)])
    assert result.exit_code == 2
    assert result.output.startswith("error: ")
    assert "Traceback" not in result.output


def test_an_account_file_that_names_another_env_is_refused(tmp_path: Path) -> None:
    repo = infrastructure_repo(tmp_path / "repo", [])
    account = repo / "live" / "test" / "account.hcl"
    account.write_text(account.read_text().replace('environment  = "test"', 'environment  = "prod"'))
    with pytest.raises(EnvironmentsError, match="but the folder is 'test'"):
        environments(repo)


def test_the_workflows_read_the_list_through_idp(tmp_path: Path) -> None:
    """drift.yml and pr.yml take their matrices from `idp envs --github-output` (names=...)."""
    out = tmp_path / "github-output"
    done = subprocess.run(
        [str(REPO_ROOT / "scripts" / "in-env"), "idp", "envs", "--github-output"],
        cwd=REPO_ROOT, env={**__import__("os").environ, "GITHUB_OUTPUT": str(out)},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert done.returncode == 0
    lines = dict(line.split("=", 1) for line in out.read_text().splitlines())
    assert json.loads(lines["names"]) == [env.name for env in environments()]
    assert lines["registry"] == environments()[0].name
