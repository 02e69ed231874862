"""Which parts of the system a change touches, from `git diff --name-only`.

lambdas/<fn>/**                                   -> that function's image
lambdas/idp_common/**, lambdas/Dockerfile, the runtime lock (uv.lock, pyproject.toml) -> all images
doc-configs/**                                    -> doc_configs
modules/**, live/_units/**, terragrunt.hcl, .mise.toml -> infrastructure, every env (the units are every env's)
live/<env>/**                                     -> infrastructure, that env
only Markdown / docs/**                           -> docs_only
anything else (tests/, tools/, .github/, lint config) -> validate only
A base of forty zeros (GitHub's `before` on a branch's first push) has nothing to diff against: everything.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

ENVS = ("dev", "test", "prod")
ALL_IMAGES = ("lambdas/idp_common/", "lambdas/Dockerfile", "uv.lock", "pyproject.toml", ".dockerignore")
ALL_INFRA = ("modules/", "live/_units/", "terragrunt.hcl", ".mise.toml")
NO_COMMIT = "0" * 40
DOC_SUFFIXES = (".md", ".markdown", ".rst", ".txt")


class GitError(RuntimeError):
    pass


@dataclass
class Changes:
    functions: list[str] = field(default_factory=list)
    doc_configs: bool = False
    infrastructure: bool = False
    envs: list[str] = field(default_factory=list)
    docs_only: bool = False

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    def github_outputs(self) -> str:
        lines = []
        for key, value in asdict(self).items():
            lines.append(f"{key}={json.dumps(value) if isinstance(value, list) else str(value).lower()}")
        return "\n".join(lines) + "\n"


def function_names(repo: Path) -> list[str]:
    """The functions are the lambdas/ folders that have a handler, not a hard-coded list."""
    return sorted(p.parent.name for p in (repo / "lambdas").glob("*/app.py"))


def is_doc(path: str) -> bool:
    pure = PurePosixPath(path)
    return path.startswith("docs/") or (pure.suffix.lower() in DOC_SUFFIXES and not path.startswith("doc-configs/"))


def classify(paths: list[str], functions: list[str]) -> Changes:
    changes = Changes()
    images: set[str] = set()
    envs: set[str] = set()
    for path in paths:
        if path.startswith(ALL_IMAGES) or path in ALL_IMAGES:
            images.update(functions)
        elif path.startswith("lambdas/"):
            name = path.split("/")[1]
            if name in functions:
                images.add(name)
        if path.startswith("doc-configs/"):
            changes.doc_configs = True
        if path.startswith(ALL_INFRA) or path in ALL_INFRA:
            envs.update(ENVS)
        elif path.startswith("live/"):
            env = path.split("/")[1]
            if env in ENVS:
                envs.add(env)
    changes.functions = sorted(images)
    changes.envs = [e for e in ENVS if e in envs]
    changes.infrastructure = bool(envs)
    changes.docs_only = bool(paths) and all(is_doc(p) for p in paths)
    return changes


def changed_paths(repo: Path, base: str, head: str) -> list[str]:
    """Both sides of renames and deletions count: `--no-renames` lists a rename as delete + add."""
    try:
        out = subprocess.run(
            ["git", "diff", "--name-only", "--no-renames", f"{base}...{head}"],  # noqa: S607 - git from PATH
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except subprocess.CalledProcessError as exc:
        first = (exc.stderr.strip().splitlines() or ["no output"])[0]
        raise GitError(f"git diff {base}...{head} failed: {first} (is the ref fetched? fetch-depth: 0)") from exc
    return sorted({line for line in out.splitlines() if line})


def detect(repo: Path, base: str, head: str = "HEAD") -> Changes:
    if base.strip("0") == "" and len(base) == len(NO_COMMIT):
        return everything(repo)
    return classify(changed_paths(repo, base, head), function_names(repo))


def everything(repo: Path) -> Changes:
    """A full deployment (manual redeploy of a ref): every image, configs, every env."""
    return Changes(functions=function_names(repo), doc_configs=True, infrastructure=True, envs=list(ENVS))
