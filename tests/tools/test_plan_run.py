"""idp.plans.run: the plan folder's sets, planned and applied with Terragrunt (the recording stand-in,
tests/workflows/stand_in.py, on PATH) - in process, where the workflow tests run it through the jobs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from idp.cli import app
from idp.plans.run import PlanFolder, RunError, apply, plan
from idp.units import Affected
from tests.conftest import REPO_ROOT
from tests.tools.repo_tree import commit, git, infrastructure_repo
from tests.workflows.stand_in import stand_in_path

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
    made.write_sets(found, "dev")
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
    filters = [argv[argv.index("--filter") + 1] for argv in applied]  # type: ignore[union-attr,index]
    assert filters == ["./eu-west-1/monitoring", "./eu-west-1/api"]  # the saved plan, then the destroy


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
    folder.write_sets(Affected(["eu-west-1/api"], []), "dev")  # never planned: no saved plan
    with pytest.raises(RunError, match="failed"):
        apply(root, "dev", folder, mocked=False)


def test_a_deleted_unit_without_its_tree_is_refused(repo: tuple[Path, str], tmp_path: Path) -> None:
    root, _ = repo
    with pytest.raises(RunError, match="no commit holding their configuration"):
        PlanFolder(tmp_path / "plan").write_sets(Affected([], ["eu-west-1/monitoring"]), "dev")
    head = git(root, "rev-parse", "HEAD")  # a tree without it
    folder = PlanFolder(tmp_path / "plan")
    folder.write_sets(Affected([], ["eu-west-1/monitoring"], {"eu-west-1/monitoring": head}), "dev")
    with pytest.raises(RunError, match="has no unit live/dev/eu-west-1/monitoring"):
        plan(root, "dev", folder)


def test_no_terragrunt_is_one_clear_error(
    repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = repo
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    folder = PlanFolder(tmp_path / "plan")
    folder.write_sets(Affected(["eu-west-1/api"], []), "dev")
    with pytest.raises(RunError, match="terragrunt is not on PATH"):
        plan(root, "dev", folder)


def test_the_cli_replans_the_reviewed_sets_and_refuses_a_mixed_request(
    repo: tuple[Path, str], stand_ins: Path, tmp_path: Path
) -> None:
    root, _ = repo
    reviewed = PlanFolder(tmp_path / "reviewed")
    reviewed.write_sets(Affected(["eu-west-1/api"], []), "dev")
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


OLD_ARN = "arn:aws:lambda:eu-west-1:111111111111:function:idp-dev-presigned-url-generator"


def integration_plan(actions: list[str], before: str, after: str, extra: dict[str, str] | None = None) -> dict:  # type: ignore[type-arg]
    """api's plan: one integration whose URI embeds compute's function ARN (an output api reads)."""
    uri = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/{}/invocations"
    change = {
        "actions": actions,
        "before": {"uri": uri.format(before)},
        "after": {"uri": uri.format(after), **(extra or {})},
    }
    return {
        "format_version": "1.2",
        "resource_changes": [
            {"address": "module.api.aws_api_gateway_integration.create", "mode": "managed",
             "type": "aws_api_gateway_integration", "change": {**change, "after_unknown": {}}},
        ],
        "output_changes": {},
    }  # fmt: skip


def moved_outputs_script(tmp_path: Path, fresh: dict) -> None:  # type: ignore[type-arg]
    """compute's apply replaces the function (its ARN moves); api was planned from the old ARN."""
    reviewed, replanned = tmp_path / "api-reviewed.json", tmp_path / "api-fresh.json"
    reviewed.write_text(json.dumps(integration_plan(["no-op"], OLD_ARN, OLD_ARN)))
    replanned.write_text(json.dumps(fresh))
    wrap = lambda arn: {"function_arns": {"sensitive": False, "type": "map", "value": {"presigned": arn}}}  # noqa: E731
    script = json.loads(Path(os.environ["STAND_IN_SCRIPT"]).read_text())
    script["units"] = {
        "eu-west-1/compute": {"outputs_before": wrap(OLD_ARN), "outputs_after": wrap(OLD_ARN + "-v2")},
        "eu-west-1/api": {"plan": str(reviewed), "replan": str(replanned), "replan_after": ["eu-west-1/compute"]},
    }
    Path(os.environ["STAND_IN_SCRIPT"]).write_text(json.dumps(script))


def test_a_dependent_is_applied_from_a_fresh_plan_when_what_it_reads_moved_as_reviewed(
    tmp_path: Path, stand_ins: Path
) -> None:
    """Terragrunt's saved plan of api keeps compute's old ARN (Terraform ignores the new variable when
    applying a saved plan): applied as saved, API Gateway would keep invoking the replaced function.
    (Before: one `run --all apply` of every saved plan - api from its stale plan.)"""
    moved_outputs_script(tmp_path, integration_plan(["update"], OLD_ARN, OLD_ARN + "-v2"))
    root = infrastructure_repo(tmp_path / "repo", [])
    folder = planned(root, tmp_path / "plan", Affected(["eu-west-1/compute", "eu-west-1/api"], []))
    replanned = apply(root, "dev", folder, mocked=False, fresh=tmp_path / "moved")
    assert replanned == ["eu-west-1/api"]
    applied = [c["argv"] for c in calls(stand_ins) if "apply" in c["argv"]]  # type: ignore[operator]
    saved = {a[a.index("--filter") + 1]: a[a.index("--out-dir") + 1] for a in applied}  # type: ignore[union-attr,index]
    assert list(saved) == ["./eu-west-1/compute", "./eu-west-1/api"]  # dependencies first, one at a time
    assert saved["./eu-west-1/compute"] == str(tmp_path / "plan" / "bin")  # the reviewed saved plan
    assert saved["./eu-west-1/api"] == str(tmp_path / "moved" / "bin")  # planned again after compute


@pytest.mark.parametrize(
    "fresh",
    [
        integration_plan(["delete", "create"], OLD_ARN, OLD_ARN + "-v2"),  # the new value forces a replacement
        integration_plan(["update"], OLD_ARN, OLD_ARN + "-v2", {"timeout_milliseconds": "3000"}),  # and more
    ],
    ids=["a replacement nobody reviewed", "a change beyond the moved value"],
)
def test_a_dependent_whose_fresh_plan_is_more_than_the_moved_values_is_refused(
    tmp_path: Path,
    stand_ins: Path,
    fresh: dict,  # type: ignore[type-arg]
) -> None:
    from idp.plans.run import Refused

    moved_outputs_script(tmp_path, fresh)
    root = infrastructure_repo(tmp_path / "repo", [])
    folder = planned(root, tmp_path / "plan", Affected(["eu-west-1/compute", "eu-west-1/api"], []))
    with pytest.raises(Refused, match="eu-west-1/api: planned again after the units it reads moved") as refused:
        apply(root, "dev", folder, mocked=False, fresh=tmp_path / "moved")
    assert refused.value.differences == ["unit eu-west-1/api: module.api.aws_api_gateway_integration.create changed"]
    applied = [c["argv"] for c in calls(stand_ins) if "apply" in c["argv"]]  # type: ignore[operator]
    assert [a[a.index("--filter") + 1] for a in applied] == ["./eu-west-1/compute"]  # type: ignore[union-attr,index]


def test_moved_values_are_the_output_leaves_an_apply_changed() -> None:
    from idp.plans.moved import expected_plan, moved_values

    before = {
        "arns": {"sensitive": False, "value": {"a": "arn:1", "b": "same", "c": ""}},
        "n": {"sensitive": False, "value": 3},
    }
    after = {
        "arns": {"sensitive": False, "value": {"a": "arn:2", "b": "same", "c": "new"}},
        "n": {"sensitive": False, "value": 4},
    }
    assert moved_values(before, after) == {"arn:1": "arn:2"}  # strings only; an empty old value never counts
    plan = {
        "resource_changes": [
            {"change": {"actions": ["no-op"], "before": {"x": "use arn:1"}, "after": {"x": "use arn:1"}}}
        ]
    }
    expected = expected_plan(plan, {"arn:1": "arn:2"})
    assert expected["resource_changes"][0]["change"] == {
        "actions": ["update"],
        "before": {"x": "use arn:1"},
        "after": {"x": "use arn:2"},
    }
    assert plan["resource_changes"][0]["change"]["actions"] == ["no-op"]  # the reviewed plan is left as it was


def test_a_reviewed_unit_the_checkout_does_not_have_is_refused_not_skipped(tmp_path: Path, stand_ins: Path) -> None:
    root = infrastructure_repo(tmp_path / "repo", [])
    folder = planned(root, tmp_path / "plan", Affected(["eu-west-1/api"], []))
    (folder.path / "filters").write_text("./eu-west-1/api\n./eu-west-1/gone\n")
    with pytest.raises(RunError, match=r"does not have: \['eu-west-1/gone'\]"):
        apply(root, "dev", folder, mocked=False)
    assert not [c for c in calls(stand_ins) if "apply" in c["argv"]]  # type: ignore[operator]


def test_a_folder_not_planned_for_the_env_is_refused_before_any_run(
    repo: tuple[Path, str], stand_ins: Path, tmp_path: Path
) -> None:
    """`idp plan-apply --env nosuch --reviewed /tmp` applied nothing and exited 0: any folder passed for a
    reviewed plan. Now a folder `idp plan-run` did not make, or made for another env, is refused (exit 2)."""
    root, _ = repo
    not_a_plan = tmp_path / "downloads"
    not_a_plan.mkdir()
    dev = planned(root, tmp_path / "plan", Affected(["eu-west-1/api"], []))
    assert (dev.path / "env").read_text() == "dev\n"
    before = len(calls(stand_ins))
    for folder, env, says in [(not_a_plan, "dev", "no env file"), (dev.path, "prod", "planned for 'dev', not 'prod'")]:
        for args in (
            ["plan-apply", "--env", env, "--reviewed", str(folder), "--repo", str(root)],
            [
                "plan-run",
                "--env",
                env,
                "--reviewed",
                str(folder),
                "--out",
                str(tmp_path / "again"),
                "--repo",
                str(root),
            ],
        ):
            refused = runner.invoke(app, args)
            assert refused.exit_code == 2, refused.output
            assert says in refused.output, refused.output
        with pytest.raises(RunError, match=says):
            apply(root, env, PlanFolder(folder), mocked=False)
    assert len(calls(stand_ins)) == before  # nothing ran
    copied = PlanFolder(tmp_path / "copied")
    copied.copy_sets(dev, "dev")
    copied.check_env("dev")


# Stand for terragrunt and the terraform it runs (one process group), each saying what it gets: terraform's
# first SIGINT is its graceful stop - what is in flight finishes, then the state is written.
FAKE_TERRAFORM = """
import os, signal, sys, time
def say(line):
    with open(os.environ["FAKE_LOG"], "a") as log:
        log.write(line + "\\n")
def stop(number, frame):
    say("terraform: SIGINT")
    time.sleep(1)
    say("terraform: state written")
    sys.exit(1)
signal.signal(signal.SIGINT, stop)
say("terraform: applying")
time.sleep(60)
"""
FAKE_TERRAGRUNT = """#!{python}
import os, signal, subprocess, sys
def stop(number, frame):
    with open(os.environ["FAKE_LOG"], "a") as log:
        log.write("terragrunt: SIGINT\\n")
signal.signal(signal.SIGINT, stop)
sys.exit(subprocess.call([sys.executable, "-c", {terraform!r}]))
"""


@pytest.mark.parametrize("sent", [signal.SIGTERM, signal.SIGINT])
def test_a_cancelled_apply_gets_terraform_one_interrupt_and_waits_for_its_state(
    sent: signal.Signals, repo: tuple[Path, str], tmp_path: Path
) -> None:
    """A cancelled deploy job (GitHub: SIGINT, SIGTERM 7.5 s later) during `idp plan-apply`: SIGTERM ended idp
    at once; SIGINT made subprocess.run SIGKILL Terragrunt 0.25 s later - either way Terraform never got
    an interrupt, so it ran on until killed, its lock held. Now the group gets one SIGINT (as from a
    terminal) and idp waits for Terraform's graceful stop."""
    root, _ = repo
    reviewed = PlanFolder(tmp_path / "reviewed")
    reviewed.write_sets(Affected(["eu-west-1/api"], []), "dev")
    bin_dir, log = tmp_path / "bin", tmp_path / "signals.log"
    bin_dir.mkdir()
    (bin_dir / "terragrunt").write_text(FAKE_TERRAGRUNT.format(python=sys.executable, terraform=FAKE_TERRAFORM))
    (bin_dir / "terragrunt").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "FAKE_LOG": str(log)}
    args = ["plan-apply", "--env", "dev", "--reviewed", str(reviewed.path), "--mocked", "true", "--repo", str(root)]
    idp = subprocess.Popen(
        [sys.executable, "-m", "idp", *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    for _ in range(300):
        if log.is_file() and "terraform: applying" in log.read_text():
            break
        time.sleep(0.1)
    idp.send_signal(sent)
    _, stderr = idp.communicate(timeout=30)
    said = log.read_text().splitlines()
    assert idp.returncode == 128 + sent, stderr
    assert said.count("terragrunt: SIGINT") == 1, said
    assert said.count("terraform: SIGINT") == 1, said  # never a second: Terraform would quit at once
    assert said[-1] == "terraform: state written", said  # before idp ended
    assert stderr.strip().splitlines()[-1] == f"error: {'terminated' if sent == signal.SIGTERM else 'interrupted'}"
