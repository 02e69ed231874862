"""idp changes on throwaway git repositories."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from idp.changes import classify
from idp.cli import app

FUNCTIONS = ["bda_orchestrator", "sqs_poller", "status_updater"]
runner = CliRunner()


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


def write(repo: Path, path: str, text: str = "x\n") -> None:
    target = repo / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "config", "user.email", "t@example.com")
    git(tmp_path, "config", "user.name", "t")
    for fn in FUNCTIONS:
        write(tmp_path, f"lambdas/{fn}/app.py", "def handler(e, c): ...\n")
    for path in (
        "lambdas/idp_common/x.py",
        "doc-configs/passport/config.json",
        "modules/api/main.tf",
        "live/dev/account.hcl",
        "live/prod/account.hcl",
        "README.md",
        "tests/test_x.py",
        "docs/a.md",
    ):
        write(tmp_path, path)
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "base")
    git(tmp_path, "checkout", "-qb", "feature")
    return tmp_path


def changes(repo: Path) -> dict[str, object]:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "change", "--allow-empty")
    result = runner.invoke(app, ["changes", "--base", "main", "--repo", str(repo)])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))


def test_one_function(repo: Path) -> None:
    write(repo, "lambdas/sqs_poller/app.py", "changed\n")
    assert changes(repo) == {
        "functions": ["sqs_poller"],
        "doc_configs": False,
        "infrastructure": False,
        "envs": [],
        "docs_only": False,
    }


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


def test_modules_touch_every_env_and_live_only_its_own(repo: Path) -> None:
    write(repo, "live/prod/account.hcl", "changed\n")
    assert changes(repo)["envs"] == ["prod"]
    write(repo, "modules/api/main.tf", "changed\n")
    result = changes(repo)
    assert (result["infrastructure"], result["envs"]) == (True, ["dev", "test", "prod"])


def test_docs_only_and_validate_only(repo: Path) -> None:
    write(repo, "README.md", "changed\n")
    write(repo, "docs/a.md", "changed\n")
    assert changes(repo)["docs_only"] is True
    write(repo, "tests/test_x.py", "changed\n")
    result = changes(repo)  # tests/ changed since main too: validate only, not docs only
    assert result == {"functions": [], "doc_configs": False, "infrastructure": False, "envs": [], "docs_only": False}


def test_deleted_and_renamed_files_count(repo: Path) -> None:
    git(repo, "rm", "-q", "live/dev/account.hcl")
    git(repo, "mv", "lambdas/status_updater/app.py", "lambdas/bda_orchestrator/moved.py")
    result = changes(repo)
    assert result["envs"] == ["dev"]
    assert result["functions"] == ["bda_orchestrator"]  # status_updater no longer has a handler on disk


def test_github_output(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo, "lambdas/sqs_poller/app.py", "changed\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "c")
    out = tmp_path / "gh-output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    result = runner.invoke(app, ["changes", "--base", "main", "--repo", str(repo), "--github-output"])
    assert result.exit_code == 0
    assert out.read_text().splitlines() == [
        'functions=["sqs_poller"]',
        "doc_configs=false",
        "infrastructure=false",
        "envs=[]",
        "docs_only=false",
    ]


def test_bad_ref_is_a_usage_error(repo: Path) -> None:
    result = runner.invoke(app, ["changes", "--base", "no-such-ref", "--repo", str(repo)])
    assert result.exit_code == 2
    assert "git diff" in result.output


def test_classify_ignores_unknown_envs_and_empty_diffs() -> None:
    assert classify(["live/staging/x.hcl"], FUNCTIONS).envs == []
    assert classify([], FUNCTIONS).docs_only is False


def test_a_unit_definition_is_every_envs(repo: Path) -> None:
    """live/_units/<unit>.hcl is included by that unit in every env: a change there deploys to all."""
    write(repo, "live/_units/compute.hcl", "changed\n")
    result = changes(repo)
    assert (result["infrastructure"], result["envs"]) == (True, ["dev", "test", "prod"])


def test_a_first_push_deploys_everything(repo: Path) -> None:
    """GitHub's `before` on a branch's first push is forty zeros: nothing to diff, so everything."""
    result = runner.invoke(app, ["changes", "--base", "0" * 40, "--repo", str(repo)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["infrastructure"], data["doc_configs"], data["envs"]) == (True, True, ["dev", "test", "prod"])
    assert data["functions"] == sorted(FUNCTIONS)
