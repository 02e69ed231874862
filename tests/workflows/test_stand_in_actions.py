"""The action stand-ins hold to their real actions' behaviour (tests/workflows/actions/README.md names
the source files at the pinned SHAs). Each case below is a rule read from that source."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.workflows.act import UnmappedAction, external_uses, local_repositories, stand_ins
from tests.workflows.actions import standins

IDENTITY = ["-c", "user.name=dev", "-c", "user.email=dev@example.com"]
REPOSITORY = "example-org/idp-platform"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *IDENTITY, *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def github(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A remote with main (2 commits), a branch, a tag and a pull request's refs; a job's env."""
    source = tmp_path / "source"
    source.mkdir()
    git(source, "init", "-q", "-b", "main")
    (source / "a").write_text("1")
    git(source, "add", "a")
    git(source, "commit", "-qm", "one")
    (source / "a").write_text("2")
    git(source, "commit", "-qam", "two")
    git(source, "tag", "v1.0.0", "HEAD~1")
    git(source, "branch", "feature", "HEAD~1")
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(source), str(remote)], check=True)
    git(remote, "update-ref", "refs/pull/7/merge", git(source, "rev-parse", "HEAD~1"))
    config = tmp_path / "gitconfig"
    config.write_text(f'[url "file://{remote}"]\n\tinsteadOf = https://github.com/{REPOSITORY}\n')
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (tmp_path / "world").mkdir()
    env = {
        "GIT_CONFIG_GLOBAL": str(config),
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_SHA": git(source, "rev-parse", "HEAD"),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_ENV": str(tmp_path / "env"),
        "GITHUB_RUN_ID": "1",
        "ACT_WORLD": str(tmp_path / "world"),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return {**env, "main": env["GITHUB_SHA"], "first": git(source, "rev-parse", "HEAD~1")}


def refs(workspace: Path) -> set[str]:
    return set(git(workspace, "for-each-ref", "--format=%(refname)").splitlines())


def head(workspace: Path) -> str:
    """The branch checked out, or 'detached'."""
    done = subprocess.run(
        ["git", "symbolic-ref", "-q", "HEAD"], cwd=workspace, capture_output=True, text=True, check=False
    )
    return done.stdout.strip() or "detached"


def test_a_sha_with_all_history_is_detached_with_no_local_branch(github: dict[str, str]) -> None:
    """ref: <sha>, fetch-depth: 0 (deploy.yml's changes job): the refspecs for all history fetch every
    branch as refs/remotes/origin/* and the tags; the checkout is detached: there is no local main."""
    workspace = Path(github["GITHUB_WORKSPACE"])
    standins.checkout({"ref": github["first"], "fetch-depth": "0", "persist-credentials": "false"})
    assert head(workspace) == "detached"
    assert git(workspace, "rev-parse", "HEAD") == github["first"]
    assert refs(workspace) == {"refs/remotes/origin/main", "refs/remotes/origin/feature", "refs/tags/v1.0.0"}


def test_the_event_ref_of_a_push_checks_out_a_local_branch_at_depth_one(github: dict[str, str]) -> None:
    """No ref input on a push to main: ref refs/heads/main + the event's SHA, fetched alone at depth 1
    into refs/remotes/origin/main, then `checkout -B main refs/remotes/origin/main`."""
    workspace = Path(github["GITHUB_WORKSPACE"])
    standins.checkout({"ref": "", "fetch-depth": "1"})
    assert head(workspace) == "refs/heads/main"
    assert refs(workspace) == {"refs/heads/main", "refs/remotes/origin/main"}
    assert git(workspace, "rev-list", "--count", "HEAD") == "1"  # shallow


def test_a_pull_request_checks_out_the_merge_commit_detached(
    github: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_REF", "refs/pull/7/merge")
    monkeypatch.setenv("GITHUB_SHA", github["first"])
    workspace = Path(github["GITHUB_WORKSPACE"])
    standins.checkout({"ref": "", "fetch-depth": "0"})
    assert head(workspace) == "detached"
    assert "refs/remotes/pull/7/merge" in refs(workspace)
    assert "refs/heads/main" not in refs(workspace)


def test_a_sha_at_depth_one_fetches_that_commit_only(github: dict[str, str]) -> None:
    workspace = Path(github["GITHUB_WORKSPACE"])
    standins.checkout({"ref": github["first"], "fetch-depth": "1"})
    assert head(workspace) == "detached"
    assert refs(workspace) == set()  # "Otherwise no destination ref"
    assert git(workspace, "rev-list", "--count", "HEAD") == "1"


def test_a_branch_name_becomes_a_local_branch_and_an_unknown_name_fails(github: dict[str, str]) -> None:
    workspace = Path(github["GITHUB_WORKSPACE"])
    standins.checkout({"ref": "feature", "fetch-depth": "1"})
    assert head(workspace) == "refs/heads/feature"
    # A name matching no branch or tag: git's shallow fetch of the empty refspec fails (exit 1), as it
    # does under the real action (which retries it, then fails the step).
    with pytest.raises(standins.ActionFailed, match="failed with exit code 1"):
        standins.checkout({"ref": "nosuch", "fetch-depth": "1"})


def test_persist_credentials_false_leaves_no_token_in_the_git_config(github: dict[str, str]) -> None:
    workspace = Path(github["GITHUB_WORKSPACE"])
    standins.checkout({"ref": "", "fetch-depth": "1", "persist-credentials": "false"})
    assert "extraheader" not in git(workspace, "config", "--local", "--list")
    standins.checkout({"ref": "", "fetch-depth": "1"})  # the default keeps it for later git commands
    assert "http.https://github.com/.extraheader" in git(workspace, "config", "--local", "--list")


def test_an_artifact_name_is_taken_once_per_run_unless_overwritten(github: dict[str, str]) -> None:
    workspace = Path(github["GITHUB_WORKSPACE"])
    (workspace / "out").mkdir()
    (workspace / "out" / "plan.json").write_text("{}")
    (workspace / "out" / ".hidden").write_text("secret")
    standins.upload({"name": "plan-dev", "path": "out", "if-no-files-found": "error"})
    stored = Path(github["ACT_WORLD"]) / "artifacts" / "1" / "plan-dev"
    assert sorted(p.name for p in stored.iterdir()) == ["plan.json"]  # hidden files are left out by default
    with pytest.raises(standins.ActionFailed, match="already exists on the workflow run"):
        standins.upload({"name": "plan-dev", "path": "out"})
    standins.upload({"name": "plan-dev", "path": "out/plan.json", "overwrite": "true"})
    with pytest.raises(standins.ActionFailed, match="No files were found"):
        standins.upload({"name": "none", "path": "nothing-here", "if-no-files-found": "error"})


def test_downloads_by_name_into_the_path_and_by_pattern_into_folders_or_merged(github: dict[str, str]) -> None:
    workspace = Path(github["GITHUB_WORKSPACE"])
    for name in ("digest-a", "digest-b"):
        (workspace / name).mkdir()
        (workspace / name / f"{name}.json").write_text("{}")
        standins.upload({"name": name, "path": f"{name}/{name}.json"})
    standins.download({"name": "digest-a", "path": "one"})
    assert [p.name for p in (workspace / "one").iterdir()] == ["digest-a.json"]
    standins.download({"pattern": "digest-*", "path": "each"})
    assert sorted(p.name for p in (workspace / "each").iterdir()) == ["digest-a", "digest-b"]
    standins.download({"pattern": "digest-*", "path": "merged", "merge-multiple": "true"})
    assert sorted(p.name for p in (workspace / "merged").iterdir()) == ["digest-a.json", "digest-b.json"]
    with pytest.raises(standins.ActionFailed, match="Artifact 'plan-dev' not found"):
        standins.download({"name": "plan-dev"})


def test_credentials_are_refused_without_an_oidc_token_or_with_a_bad_session_name(github: dict[str, str]) -> None:
    given = {"role-to-assume": "arn:aws:iam::111111111111:role/x-plan", "aws-region": "eu-west-1"}
    os.environ.pop("ACTIONS_ID_TOKEN_REQUEST_TOKEN", None)
    with pytest.raises(standins.ActionFailed, match="id-token"):
        standins.credentials(given)
    with pytest.raises(standins.ActionFailed, match="Role session name is not valid"):
        standins.credentials({**given, "role-session-name": "plan dev"})
    with pytest.raises(standins.ActionFailed, match="Role Name is provided and not the Role Arn"):
        standins.credentials({**given, "role-to-assume": "x-plan"})


def test_a_cache_key_is_checked_as_actions_cache_checks_it_and_nothing_is_restored(
    github: dict[str, str], tmp_path: Path
) -> None:
    given = {"path": "~/.npm", "key": "npm-Linux-" + "a" * 64, "restore-keys": "npm-Linux-"}
    standins.cache(given)
    assert (tmp_path / "output").read_text().strip() == "cache-hit=false"
    with pytest.raises(standins.ActionFailed, match="Input required and not supplied: key"):
        standins.cache({**given, "key": ""})
    with pytest.raises(standins.ActionFailed, match="cannot contain commas"):
        standins.cache({**given, "key": "npm,Linux"})
    with pytest.raises(standins.ActionFailed, match="cannot be larger than 512 characters"):
        standins.cache({**given, "key": "k" * 513})


def test_sticky_comment_updates_its_own_and_only_update_creates_nothing(github: dict[str, str], tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 12}}))
    os.environ["GITHUB_EVENT_PATH"] = str(event)
    workspace = Path(github["GITHUB_WORKSPACE"])
    (workspace / "c.md").write_text("first")
    standins.sticky({"header": "plan-dev", "path": "c.md", "only_update": "true"})
    assert standins.read_json(Path(github["ACT_WORLD"]) / "comments.json", []) == []
    standins.sticky({"header": "plan-dev", "path": "c.md"})
    (workspace / "c.md").write_text("second")
    standins.sticky({"header": "plan-dev", "path": "c.md"})
    comments: list[dict[str, Any]] = standins.read_json(Path(github["ACT_WORLD"]) / "comments.json", [])
    assert comments == [{"pr": 12, "header": "plan-dev", "body": "second", "updates": 1}]


def test_every_action_the_workflows_use_has_a_stand_in_and_an_unmapped_one_is_refused(tmp_path: Path) -> None:
    from tests.conftest import REPO_ROOT

    flags = local_repositories(REPO_ROOT)
    assert len(flags) == 2 * len(external_uses(REPO_ROOT))
    assert set(stand_ins()) >= {use.split("@")[0] for use in external_uses(REPO_ROOT)}
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "x.yml").write_text(
        "jobs:\n  a:\n    steps:\n      - uses: someone/else@v1\n"
    )
    with pytest.raises(UnmappedAction, match="someone/else@v1"):
        local_repositories(tmp_path)


def test_a_dispatched_ref_resolves_in_the_refs_a_detached_checkout_holds(github: dict[str, str]) -> None:
    """deploy.yml's changes job checks out a SHA with all history: `main` is only refs/remotes/origin/main
    there. (Before: `'main' is not a commit of this repository` - a git clone has a local main.)"""
    from idp.release import NotReviewedError, deployable_commit

    workspace = Path(github["GITHUB_WORKSPACE"])
    standins.checkout({"ref": github["main"], "fetch-depth": "0", "persist-credentials": "false"})
    assert deployable_commit("main", "origin/main", workspace) == github["main"]
    assert deployable_commit("v1.0.0", "origin/main", workspace) == github["first"]
    assert deployable_commit(github["first"][:10], "origin/main", workspace) == github["first"]
    git(workspace, "branch", "stray", github["main"])  # a local branch is this machine's, never GitHub's
    with pytest.raises(NotReviewedError, match="'stray' is not a commit, tag or branch"):
        deployable_commit("stray", "origin/main", workspace)


def test_an_entry_split_by_another_jobs_entry_is_still_read() -> None:
    """act's jobs write their JSON lines onto one stdout: a line cut by another job's whole entry keeps
    that entry; the cut one is lost, as on the terminal, and nothing else is invented."""
    from tests.workflows.act import parse

    cut = '{"job":"build","matrix":{"function":"a"},"msg":"  | a long li'
    whole = '{"job":"build","matrix":{"function":"b"},"jobResult":"success"}'
    lines = [
        '{"job":"build","matrix":{"function":"a"},"jobResult":"success"}',
        cut + whole + 'ne of output"}',
        "not json at all",
    ]
    results = {job.matrix["function"]: job.result for job in parse(lines)}
    assert results == {"a": "success", "b": "success"}
