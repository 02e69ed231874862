"""The affected-unit set (idp.units) on a git copy of this repository's live/ and modules/ trees:
a module change, a unit change, a deleted unit, a prod-only change, new images, the env list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from idp.changes import detect
from idp.cli import app
from idp.units import UnitsError, affected, stack_units
from tests.tools.repo_tree import append, commit, git, infrastructure_repo

runner = CliRunner()
STACK = [
    "eu-west-1/ecr",
    "eu-west-1/security",
    "eu-west-1/storage",
    "eu-west-1/messaging",
    "eu-west-1/compute",
    "eu-west-1/api",
    "eu-west-1/orchestration",
    "eu-west-1/monitoring",
]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """live/, modules/, the root terragrunt.hcl and .mise.toml as they are, one function, in git."""
    return infrastructure_repo(tmp_path / "repo", ["sqs_poller"])


def test_a_module_change_plans_the_units_built_from_it_and_their_dependents(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD")
    append(repo, "modules/api/main.tf")
    commit(repo)
    changes = detect(repo, base)
    # api is built from modules/api; monitoring depends on api. Nothing else moves.
    assert changes.units == {env: ["eu-west-1/api", "eu-west-1/monitoring"] for env in ("dev", "test", "prod")}
    assert changes.envs == ["dev", "test", "prod"]
    assert changes.destroy == {}


def test_a_shared_module_reaches_every_unit_that_calls_it(repo: Path) -> None:
    """modules/naming is called by other modules (source = "../naming"), not by any unit directly."""
    base = git(repo, "rev-parse", "HEAD")
    append(repo, "modules/naming/main.tf")
    commit(repo)
    planned = detect(repo, base).units["dev"]
    assert "eu-west-1/security" in planned
    assert "eu-west-1/compute" in planned
    assert "eu-west-1/ecr" not in planned  # modules/ecr does not call naming
    assert planned.index("eu-west-1/security") < planned.index("eu-west-1/compute")  # dependency order


def test_a_unit_change_in_prod_only_runs_prod_alone(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD")
    append(repo, "live/prod/eu-west-1/monitoring/terragrunt.hcl")
    commit(repo)
    changes = detect(repo, base)
    assert changes.units == {"prod": ["eu-west-1/monitoring"]}
    assert changes.stages == [{"environment": "prod", "after": ""}]  # no dev or test stage, no approvals


def test_an_env_value_change_plans_every_unit_of_that_env(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD")
    append(repo, "live/test/env.hcl")
    commit(repo)
    changes = detect(repo, base)
    assert changes.units == {"test": STACK}


def test_a_deleted_unit_is_planned_as_a_destroy(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "rm", "-rq", "live/dev/eu-west-1/monitoring")
    commit(repo)
    changes = detect(repo, base)
    assert changes.destroy == {"dev": ["eu-west-1/monitoring"]}
    assert changes.units == {}
    assert changes.stages == [{"environment": "dev", "after": ""}]
    assert changes.trees == {"dev": {"eu-west-1/monitoring": base}}  # its configuration: the base's tree
    assert affected(repo, "dev", ["live/dev/eu-west-1/monitoring/terragrunt.hcl"]).destroy == ["eu-west-1/monitoring"]


def test_a_reverted_change_is_still_planned(repo: Path) -> None:
    """A run applied C1 to dev and was rejected at test; C2 reverts C1. Dev holds C1: the range's net
    diff is empty, but every commit's files count, so dev's api is planned (back) again."""
    base = git(repo, "rev-parse", "HEAD")
    original = (repo / "modules/api/main.tf").read_text()
    append(repo, "modules/api/main.tf")
    commit(repo, "C1")
    (repo / "modules/api/main.tf").write_text(original)
    commit(repo, "C2 reverts C1")
    assert git(repo, "diff", "--name-only", f"{base}...HEAD") == ""
    assert detect(repo, base).units["dev"] == ["eu-west-1/api", "eu-west-1/monitoring"]


def add_and_delete_a_unit(repo: Path) -> str:
    """Commit a unit live/dev/eu-west-1/extra, then its deletion: the commit that added it."""
    extra = repo / "live" / "dev" / "eu-west-1" / "extra"
    extra.mkdir()
    (extra / "terragrunt.hcl").write_text((repo / "live/dev/eu-west-1/monitoring/terragrunt.hcl").read_text())
    added = commit(repo, "adds a unit")
    git(repo, "rm", "-rq", "live/dev/eu-west-1/extra")
    commit(repo, "deletes it")
    return added


def test_a_unit_added_then_deleted_is_destroyed_from_the_tree_that_held_it(repo: Path) -> None:
    """Added by C1 (and applied to dev by a run that stopped later), deleted by C2: not in the base's
    tree nor the head's - its destroy is planned in C1's."""
    base = git(repo, "rev-parse", "HEAD")
    added = add_and_delete_a_unit(repo)
    changes = detect(repo, base)
    assert changes.destroy == {"dev": ["eu-west-1/extra"]}
    assert changes.trees == {"dev": {"eu-west-1/extra": added}}


def test_new_images_plan_the_units_that_read_them_in_every_env(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD")
    append(repo, "lambdas/sqs_poller/app.py")
    commit(repo)
    changes = detect(repo, base)
    assert changes.functions == ["sqs_poller"]
    assert changes.units["prod"] == [
        "eu-west-1/compute",
        "eu-west-1/api",
        "eu-west-1/orchestration",
        "eu-west-1/monitoring",
    ]
    assert [s["environment"] for s in changes.stages] == ["dev", "test", "prod"]


def test_the_env_list_and_an_account_reach_the_registry_unit(repo: Path) -> None:
    """live/_units/ecr.hcl reads the list and every account (the pull accounts): those changes plan it."""
    base = git(repo, "rev-parse", "HEAD")
    append(repo, "live/prod/account.hcl")
    commit(repo)
    changes = detect(repo, base)
    assert changes.units["dev"][0] == "eu-west-1/ecr"  # dev's registry lets prod's account pull
    assert changes.units["prod"] == STACK  # prod's own account file is every prod unit's


def test_bootstrap_units_never_run_in_the_pipeline(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD")
    append(repo, "live/dev/_bootstrap/github-oidc/terragrunt.hcl")
    commit(repo)
    assert detect(repo, base).units == {}
    assert all(not unit.startswith("_bootstrap") for unit in stack_units(repo, "dev"))


def test_the_cli_prints_the_set_and_refuses_bad_input(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD")
    append(repo, "modules/monitoring/main.tf")
    commit(repo)
    result = runner.invoke(app, ["units", "--env", "test", "--base", base, "--repo", str(repo)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"plan": ["eu-west-1/monitoring"], "destroy": {}}
    unknown = runner.invoke(app, ["units", "--env", "staging", "--all", "--repo", str(repo)])
    assert unknown.exit_code == 2
    assert "'staging' is not in live/environments.hcl" in unknown.output
    both = runner.invoke(app, ["units", "--env", "dev", "--all", "--base", base, "--repo", str(repo)])
    assert both.exit_code == 2


def test_an_empty_set_has_no_filters_file() -> None:
    """Negations alone would make Terragrunt run every other unit: an empty set is refused instead."""
    from idp.units import Affected

    with pytest.raises(UnitsError, match="nothing to run"):
        Affected(destroy=["eu-west-1/api"]).filters()


def test_a_unit_with_an_unknown_source_is_refused(repo: Path) -> None:
    unit = repo / "live" / "dev" / "eu-west-1" / "extra"
    unit.mkdir()
    (unit / "terragrunt.hcl").write_text('terraform {\n  source = "git::https://example.com/x.git"\n}\n')
    with pytest.raises(UnitsError, match=r"terraform\.source"):
        stack_units(repo, "dev")


def test_a_modules_readme_is_not_what_terraform_reads(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD")
    append(repo, "modules/api/README.md")
    commit(repo)
    changes = detect(repo, base)
    assert changes.units == {}
    assert changes.docs_only is True


def test_a_unit_that_lived_and_died_on_a_merged_branch_is_found_there(repo: Path) -> None:
    """git's default history simplification hides branch commits at a merge that matches its first
    parent: the tree that held the unit is found with --full-history, never the base (which lacks it)."""
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-qb", "branch")
    added = add_and_delete_a_unit(repo)
    git(repo, "checkout", "-q", "main")
    append(repo, "README.md", "main moves on\n")
    commit(repo, "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "merge", "branch")
    changes = detect(repo, base)
    assert changes.trees == {"dev": {"eu-west-1/extra": added}}
