"""A git repository holding this repository's live/ and modules/ trees as they are (what idp changes
and idp units read), plus the files a test names - for the change-detection tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.conftest import REPO_ROOT


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()


def commit(repo: Path, message: str = "change") -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message, "--allow-empty")
    return git(repo, "rev-parse", "HEAD")


def write(repo: Path, path: str, text: str = "x\n") -> None:
    target = repo / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


def append(repo: Path, path: str, text: str = "\n# changed\n") -> None:
    with (repo / path).open("a") as handle:
        handle.write(text)


def infrastructure_repo(root: Path, functions: list[str], extra: tuple[str, ...] = ()) -> Path:
    ignore = shutil.ignore_patterns(".terraform", ".terragrunt-cache", "*.tfstate*")
    shutil.copytree(REPO_ROOT / "live", root / "live", ignore=ignore)
    shutil.copytree(REPO_ROOT / "modules", root / "modules", ignore=ignore)
    for name in ("terragrunt.hcl", ".mise.toml"):
        shutil.copy2(REPO_ROOT / name, root / name)
    for function in functions:
        write(root, f"lambdas/{function}/app.py", "def handler(e, c): ...\n")
    for path in extra:
        write(root, path)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "t@example.com")
    git(root, "config", "user.name", "t")
    commit(root, "base")
    return root
