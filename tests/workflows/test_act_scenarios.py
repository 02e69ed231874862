"""Scenarios act runs on the real workflow files (tests/workflows/act.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from idp.local.aws_server import LocalAwsServer
from tests.workflows.act import GitHubWorld, template_remote


@pytest.fixture(scope="session")
def remote_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return template_remote(tmp_path_factory.mktemp("github"))


@pytest.fixture
def github(tmp_path: Path, remote_template: Path, embedded_aws: LocalAwsServer) -> Iterator[GitHubWorld]:
    import subprocess

    remote = tmp_path / "remote.git"
    subprocess.run(["git", "clone", "--quiet", "--bare", str(remote_template), str(remote)], check=True)
    yield GitHubWorld(tmp_path, remote, embedded_aws)


def test_a_dispatch_with_the_default_ref_main(github: GitHubWorld) -> None:
    run = github.act("workflow_dispatch", workflow="deploy.yml", job="changes", inputs={"ref": "main"})
    print("\n".join(l for l in run.output.splitlines() if "raw_output" in l or "Result" in l)[-8000:])
    changes = run.job("changes")
    assert changes.result == "success", changes.text
