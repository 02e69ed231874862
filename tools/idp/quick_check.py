"""`make check`: the inner loop - the lint gate's quick checks that what changed can affect, then the
unit tests. `make test` stays the gate (every check, every test, coverage); this is what to run after
each edit.

What changed: the commits since the merge base with `base` (default main), the staged and unstaged
edits and the untracked files. Each quick check runs, on the whole tree as in the gate, when a changed
path matches its triggers. checkov and `terraform validate` are the gate's only (tens of seconds each).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from idp.changes import GitError, git_output

# check -> path prefixes (ending in '/') or suffixes that can change its verdict
TRIGGERS: dict[str, tuple[str, ...]] = {
    "ruff": (".py", "pyproject.toml"),
    "ruff-format": (".py", "pyproject.toml"),
    "mypy": (".py", "pyproject.toml"),
    "actionlint": (".github/",),
    "zizmor": (".github/",),
    "check-jsonschema": (".github/", "doc-configs/"),
    "shellcheck": (".sh", "scripts/", ".github/"),
    "detect-secrets": ("",),  # any file may hold a secret
    "doc-configs": ("doc-configs/",),
    "terraform-fmt": (".tf",),
    "terragrunt-fmt": (".hcl",),
}
GATE_ONLY = ("checkov", "terraform-validate")


class QuickCheckError(ValueError):
    """The changes cannot be listed (not a git repository)."""


def changed_files(root: Path, base: str = "main") -> tuple[list[str], str]:
    """(paths changed since `base`'s merge base, including uncommitted and untracked ones; what they
    were compared with). A base that does not exist: every tracked file, and it says so."""
    try:
        git_output(root, "rev-parse", "--git-dir")
    except GitError as exc:
        raise QuickCheckError(f"{root} is not a git repository: `make check` compares with {base}") from exc
    listed: set[str] = set()
    try:
        since = git_output(root, "merge-base", base, "HEAD").strip()
        listed.update(git_output(root, "diff", "--name-only", since, "HEAD").split("\n"))
        compared = f"{base} ({since[:12]})"
    except GitError:
        listed.update(git_output(root, "ls-files").split("\n"))
        compared = f"everything ({base!r} is not a commit here)"
    listed.update(git_output(root, "diff", "--name-only", "HEAD").split("\n"))
    listed.update(git_output(root, "ls-files", "--others", "--exclude-standard").split("\n"))
    return sorted(p for p in listed if p), compared


def _matches(path: str, trigger: str) -> bool:
    if trigger.endswith("/"):
        return path.startswith(trigger)
    return path.endswith(trigger)


def checks_for(paths: Iterable[str]) -> list[str]:
    """The quick checks the paths can affect, in the gate's order."""
    found = list(paths)
    return [check for check, triggers in TRIGGERS.items() if any(_matches(p, t) for p in found for t in triggers)]
