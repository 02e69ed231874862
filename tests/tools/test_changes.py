"""idp changes on a git copy of this repository's live/ and modules/ trees (tests/tools/repo_tree.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from idp.changes import classify
from idp.cli import app
from tests.tools.repo_tree import append, git, infrastructure_repo, write

FUNCTIONS = ["bda_orchestrator", "sqs_poller", "status_updater"]
ENVS = ["dev", "test", "prod"]
runner = CliRunner()
NOTHING = {"units": {}, "destroy": {}, "trees": {}, "stages": [], "new_envs": []}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = infrastructure_repo(
        tmp_path / "repo",
        FUNCTIONS,
        ("lambdas/idp_common/x.py", "doc-configs/passport/config.json", "README.md", "tests/test_x.py", "docs/a.md"),
    )
    git(root, "checkout", "-qb", "feature")
    return root


def changes(repo: Path) -> dict[str, object]:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "change", "--allow-empty")
    result = runner.invoke(app, ["changes", "--base", "main", "--repo", str(repo)])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))


def every_env(envs: list[str]) -> list[dict[str, str]]:
    return [{"environment": env, "after": envs[i - 1] if i else ""} for i, env in enumerate(envs)]


def test_one_function(repo: Path) -> None:
    write(repo, "lambdas/sqs_poller/app.py", "changed\n")
    result = changes(repo)
    assert {k: result[k] for k in ("functions", "doc_configs", "docs_only")} == {
        "functions": ["sqs_poller"],
        "doc_configs": False,
        "docs_only": False,
    }
    # New images reach every env through the units that read them (compute and its dependents).
    assert result["envs"] == ENVS
    assert result["units"]["dev"] == [  # type: ignore[index]
        "eu-west-1/compute", "eu-west-1/api", "eu-west-1/orchestration", "eu-west-1/monitoring"
    ]  # fmt: skip
    assert result["stages"] == every_env(ENVS)


def test_shared_library_rebuilds_every_function_found_on_disk(repo: Path) -> None:
    write(repo, "lambdas/new_function/app.py", "def handler(e, c): ...\n")
    write(repo, "lambdas/idp_common/x.py", "changed\n")
    assert changes(repo)["functions"] == sorted([*FUNCTIONS, "new_function"])


def test_lock_file_rebuilds_everything(repo: Path) -> None:
    write(repo, "uv.lock", "lock\n")
    assert changes(repo)["functions"] == FUNCTIONS


def test_configs_only(repo: Path) -> None:
    write(repo, "doc-configs/passport/config.json", "{}\n")
    result = changes(repo)
    assert (result["doc_configs"], result["functions"], result["infrastructure"]) == (True, [], False)
    assert result["stages"] == every_env(ENVS)  # doc-configs are published to every env, in order


def test_modules_touch_every_env_and_live_only_its_own(repo: Path) -> None:
    append(repo, "live/prod/eu-west-1/region.hcl")
    result = changes(repo)
    assert result["envs"] == ["prod"]
    assert result["stages"] == [{"environment": "prod", "after": ""}]
    append(repo, "modules/api/main.tf")
    result = changes(repo)
    assert (result["infrastructure"], result["envs"]) == (True, ENVS)


def test_docs_only_and_validate_only(repo: Path) -> None:
    write(repo, "README.md", "changed\n")
    write(repo, "docs/a.md", "changed\n")
    assert changes(repo)["docs_only"] is True
    write(repo, "tests/test_x.py", "changed\n")
    result = changes(repo)  # tests/ changed since main too: validate only, not docs only
    assert result == {
        "functions": [], "doc_configs": False, "infrastructure": False, "envs": [], "docs_only": False, **NOTHING
    }  # fmt: skip


def test_deleted_and_renamed_files_count(repo: Path) -> None:
    git(repo, "rm", "-rq", "live/dev/eu-west-1/monitoring")
    git(repo, "mv", "lambdas/status_updater/app.py", "lambdas/bda_orchestrator/moved.py")
    result = changes(repo)
    assert result["destroy"] == {"dev": ["eu-west-1/monitoring"]}
    assert result["functions"] == ["bda_orchestrator"]  # status_updater no longer has a handler on disk


def test_github_output(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo, "doc-configs/passport/config.json", "changed\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "c")
    out = tmp_path / "gh-output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    result = runner.invoke(app, ["changes", "--base", "main", "--repo", str(repo), "--github-output"])
    assert result.exit_code == 0
    assert out.read_text().splitlines() == [
        "functions=[]",
        "doc_configs=true",
        "infrastructure=false",
        "envs=[]",
        "docs_only=false",
        "units={}",
        "destroy={}",
        "trees={}",
        f"stages={json.dumps(every_env(ENVS))}",
        "new_envs=[]",
    ]


def test_bad_ref_is_a_usage_error(repo: Path) -> None:
    result = runner.invoke(app, ["changes", "--base", "no-such-ref", "--repo", str(repo)])
    assert result.exit_code == 2
    assert "git diff" in result.output


def test_classify_ignores_unknown_envs_and_empty_diffs(repo: Path) -> None:
    assert classify(["live/staging/x.hcl"], repo).envs == []  # not in live/environments.hcl
    assert classify([], repo).docs_only is False


def test_a_unit_definition_is_every_envs(repo: Path) -> None:
    """live/_units/<unit>.hcl is included by that unit in every env: a change there deploys to all."""
    append(repo, "live/_units/compute.hcl")
    result = changes(repo)
    assert (result["infrastructure"], result["envs"]) == (True, ENVS)
    assert result["units"]["test"] == [  # type: ignore[index]
        "eu-west-1/compute", "eu-west-1/api", "eu-west-1/orchestration", "eu-west-1/monitoring"
    ]  # fmt: skip


def test_a_first_push_deploys_everything(repo: Path) -> None:
    """GitHub's `before` on a branch's first push is forty zeros: nothing to diff, so everything."""
    result = runner.invoke(app, ["changes", "--base", "0" * 40, "--repo", str(repo)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["infrastructure"], data["doc_configs"], data["envs"]) == (True, True, ENVS)
    assert len(data["units"]["prod"]) == 8
    assert data["stages"] == every_env(ENVS)
    assert data["functions"] == sorted(FUNCTIONS)


def test_a_new_env_runs_after_the_env_before_it_whose_images_it_takes() -> None:
    """The new env has no release: its stage deploys what its predecessor's stage marker says that env
    runs - so the predecessor's stage runs in the same run, even with nothing of its own to change."""
    from idp.changes import Changes, _settle

    envs = ["dev", "test", "staging", "prod"]
    settled = _settle(Changes(units={"staging": ["eu-west-1/ecr"]}, new_envs=["staging"]), envs)
    assert settled.stages == [{"environment": "test", "after": ""}, {"environment": "staging", "after": "test"}]
    assert settled.envs == ["staging"]  # test plans nothing: its apply (and approval) is skipped
    plain = _settle(Changes(units={"staging": ["eu-west-1/ecr"]}), envs)  # not new: it runs alone
    assert plain.stages == [{"environment": "staging", "after": ""}]
