"""idp.plans.run: the plan folder's sets, planned and applied with Terragrunt (the recording stand-in,
tests/workflows/stand_in.py, on PATH) - in process, where the workflow tests run it through the jobs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from idp.cli import app
from idp.plans.run import PlanFolder, RunError, apply, plan
from idp.units import Affected
from tests.conftest import REPO_ROOT
from tests.tools.repo_tree import commit, git, infrastructure_repo
from tests.workflows.runner import stand_in_path

runner = CliRunner()


@pytest.fixture
def stand_ins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"plan_json": str(REPO_ROOT / "tests/fixtures/plans/every-action.json")}))
    env = stand_in_path(tmp_path / "bin", tmp_path / "calls.jsonl", script, tools=("terragrunt",))
    for key in ("PATH", "STAND_IN_LOG", "STAND_IN_SCRIPT"):
        monkeypatch.setenv(key, env[key])
    return tmp_path / "calls.jsonl"


def calls(log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, str]:
    """A repository whose last commit deleted dev's monitoring unit: (root, the commit before)."""
    root = infrastructure_repo(tmp_path / "repo", [])
    base = git(root, "rev-parse", "HEAD")
    git(root, "rm", "-rq", "live/dev/eu-west-1/monitoring")
    commit(root, "remove monitoring")
    return root, base


def planned(root: Path, folder: Path, found: Affected) -> PlanFolder:
    made = PlanFolder(folder)
    made.write_sets(found)
    plan(root, "dev", made)
    return made


def test_plans_the_set_in_the_checkout_and_the_deleted_units_in_the_tree_that_held_them(
    repo: tuple[Path, str], stand_ins: Path, tmp_path: Path
) -> None:
    root, base = repo
    planned(
        root, tmp_path / "plan", Affected(["eu-west-1/api"], ["eu-west-1/monitoring"], {"eu-west-1/monitoring": base})
    )
    made = calls(stand_ins)
    assert [c["cwd"] for c in made] == [str(root / "live/dev"), str(tmp_path / f"plan-tree-{base[:12]}/live/dev")]
    assert made[1]["argv"][-3:] == ["plan", "-destroy", "-lock-timeout=5m"]  # type: ignore[index]
    assert (tmp_path / "plan/json/eu-west-1/api/tfplan.json").is_file()
    assert (tmp_path / "plan/json/eu-west-1/monitoring/tfplan.json").is_file()  # the destroy, for review
    assert not (tmp_path / "plan/json/eu-west-1/compute").exists()  # only the set


def test_applies_the_destroys_first_then_the_saved_plans(
    repo: tuple[Path, str], stand_ins: Path, tmp_path: Path
) -> None:
    root, base = repo
    found = Affected(["eu-west-1/api"], ["eu-west-1/monitoring"], {"eu-west-1/monitoring": base})
    folder = planned(root, tmp_path / "plan", found)
    apply(root, "dev", folder, mocked=False)
    applied = [c for c in calls(stand_ins) if "apply" in c["argv"]]  # type: ignore[operator]
    assert [Path(str(c["cwd"])).parent.parent.name for c in applied] == [f"plan-tree-{base[:12]}", "repo"]
    assert all("--out-dir" in c["argv"] for c in applied)  # type: ignore[operator]


def test_dependent_deleted_units_are_destroyed_dependents_first_one_at_a_time(tmp_path: Path, stand_ins: Path) -> None:
    """monitoring depends on api; both deleted. Terragrunt would apply saved plans dependencies first
    (a saved destroy plan's command has no -destroy): api's state would be gone before monitoring's
    destroy read its outputs."""
    root = infrastructure_repo(tmp_path / "repo", [])
    base = git(root, "rev-parse", "HEAD")
    git(root, "rm", "-rq", "live/dev/eu-west-1/api", "live/dev/eu-west-1/monitoring")
    commit(root, "remove api and monitoring")
    trees = {"eu-west-1/api": base, "eu-west-1/monitoring": base}
    folder = planned(root, tmp_path / "plan", Affected([], ["eu-west-1/api", "eu-west-1/monitoring"], trees))
    assert [d.unit for d in folder.destroys] == ["eu-west-1/monitoring", "eu-west-1/api"]
    apply(root, "dev", folder, mocked=False)
    applied = [c["argv"] for c in calls(stand_ins) if "apply" in c["argv"]]  # type: ignore[operator]
    assert [argv[argv.index("--filter") + 1] for argv in applied] == ["./eu-west-1/monitoring", "./eu-west-1/api"]  # type: ignore[union-attr,index]


def test_a_unit_that_stays_lets_go_of_a_deleted_one_before_it_is_destroyed(tmp_path: Path, stand_ins: Path) -> None:
    """monitoring depended on api; api is deleted and monitoring changed to do without it: monitoring is
    applied first (it stops referencing api's resources), then api is destroyed."""
    root = infrastructure_repo(tmp_path / "repo", [])
    base = git(root, "rev-parse", "HEAD")
    git(root, "rm", "-rq", "live/dev/eu-west-1/api")
    commit(root, "remove api")
    found = Affected(["eu-west-1/monitoring"], ["eu-west-1/api"], {"eu-west-1/api": base})
    folder = planned(root, tmp_path / "plan", found)
    assert folder.destroys_after_applies is True
    apply(root, "dev", folder, mocked=False)
    applied = [c["argv"] for c in calls(stand_ins) if "apply" in c["argv"]]  # type: ignore[operator]
    assert ["--filters-file" in argv for argv in applied] == [True, False]  # type: ignore[operator]


def test_a_pinned_tool_is_run_as_mise_installed_it_never_through_a_shim(
    repo: tuple[Path, str], stand_ins: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = repo
    real = tmp_path / "bin" / "terragrunt"
    fake = tmp_path / "mise-bin"
    fake.mkdir()
    script = (
        f'[ "$2" = terragrunt ] && echo {real} && exit 0\n[ "$2" = terraform ] && echo /opt/tf/terraform && exit 0\n'
    )
    (fake / "mise").write_text(f"#!/usr/bin/env bash\n{script}exit 1\n")
    (fake / "mise").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:{tmp_path / 'bin'}:/usr/bin:/bin")
    folder = planned(root, tmp_path / "plan", Affected(["eu-west-1/api"], []))
    last = calls(stand_ins)[-1]
    assert last["argv"][:2] == ["run", "--all"]  # type: ignore[index]
    assert last["env"]["TG_TF_PATH"] == "/opt/tf/terraform"  # type: ignore[index]
    (fake / "mise").write_text("#!/usr/bin/env bash\nexit 1\n")  # nothing installed for this checkout
    with pytest.raises(RunError, match=r"`mise which terra(form|grunt)` found no installed"):
        plan(root, "dev", folder)


def test_a_plan_from_mocks_is_applied_unit_by_unit_not_as_saved(
    repo: tuple[Path, str], stand_ins: Path, tmp_path: Path
) -> None:
    root, _ = repo
    folder = planned(root, tmp_path / "plan", Affected(["eu-west-1/api"], []))
    apply(root, "dev", folder, mocked=True)
    applied = [c for c in calls(stand_ins) if "apply" in c["argv"]]  # type: ignore[operator]
    assert len(applied) == 1
    assert "--out-dir" not in applied[0]["argv"]  # type: ignore[operator]


def test_a_missing_saved_plan_fails_the_apply(repo: tuple[Path, str], stand_ins: Path, tmp_path: Path) -> None:
    root, _ = repo
    folder = PlanFolder(tmp_path / "plan")
    folder.write_sets(Affected(["eu-west-1/api"], []))  # never planned: no saved plan
    with pytest.raises(RunError, match="failed"):
        apply(root, "dev", folder, mocked=False)


def test_a_deleted_unit_without_its_tree_is_refused(repo: tuple[Path, str], tmp_path: Path) -> None:
    root, _ = repo
    with pytest.raises(RunError, match="no commit holding their configuration"):
        PlanFolder(tmp_path / "plan").write_sets(Affected([], ["eu-west-1/monitoring"]))
    head = git(root, "rev-parse", "HEAD")  # a tree without it
    folder = PlanFolder(tmp_path / "plan")
    folder.write_sets(Affected([], ["eu-west-1/monitoring"], {"eu-west-1/monitoring": head}))
    with pytest.raises(RunError, match="has no unit live/dev/eu-west-1/monitoring"):
        plan(root, "dev", folder)


def test_no_terragrunt_is_one_clear_error(
    repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = repo
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    folder = PlanFolder(tmp_path / "plan")
    folder.write_sets(Affected(["eu-west-1/api"], []))
    with pytest.raises(RunError, match="terragrunt is not on PATH"):
        plan(root, "dev", folder)


def test_the_cli_replans_the_reviewed_sets_and_refuses_a_mixed_request(
    repo: tuple[Path, str], stand_ins: Path, tmp_path: Path
) -> None:
    root, _ = repo
    reviewed = PlanFolder(tmp_path / "reviewed")
    reviewed.write_sets(Affected(["eu-west-1/api"], []))
    again = runner.invoke(
        app, ["plan-run", "--env", "dev", "--out", str(tmp_path / "current"), "--reviewed", str(reviewed.path),
              "--repo", str(root)],
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    assert "1 unit(s) to plan, 0 to destroy" in again.output
    assert (tmp_path / "current/filters").read_text() == (reviewed.path / "filters").read_text()
    mixed = runner.invoke(
        app, ["plan-run", "--env", "dev", "--out", str(tmp_path / "x"), "--reviewed", str(reviewed.path), "--all"]
    )
    assert mixed.exit_code == 2
    assert "give no --base or --all" in mixed.output
    missing = runner.invoke(app, ["plan-apply", "--env", "dev", "--reviewed", str(tmp_path / "none")])
    assert missing.exit_code == 2
    bad = runner.invoke(app, ["plan-apply", "--env", "dev", "--reviewed", str(reviewed.path), "--mocked", "yes"])
    assert bad.exit_code == 2
    assert "give true or false" in bad.output
