"""Which parts of the system a change touches, from `git diff --name-only`.

lambdas/<fn>/**                                   -> that function's image
lambdas/idp_common/**, lambdas/Dockerfile, the runtime lock (uv.lock, pyproject.toml) -> all images
doc-configs/**                                    -> doc_configs
modules/**, live/**, terragrunt.hcl, .mise.toml   -> the units they affect, per env (idp.units: a
                                                     module -> the units built from it and their
                                                     dependents; a deleted unit -> its destroy)
only Markdown / docs/**                           -> docs_only
anything else (tests/, tools/, .github/, lint config) -> validate only
New images affect every env's units that read them. The envs are live/environments.hcl's, in
promotion order; `stages` are the envs a deploy runs: every env when images or doc-configs change
(they go everywhere), else the envs with units to plan. A base of forty zeros (GitHub's `before` on a
branch's first push) has nothing to diff against: everything.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

from idp import units as unit_model
from idp.environments import names

ALL_IMAGES = ("lambdas/idp_common/", "lambdas/Dockerfile", "uv.lock", "pyproject.toml", ".dockerignore")
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
    units: dict[str, list[str]] = field(default_factory=dict)  # env -> unit paths to plan (dependency order)
    destroy: dict[str, list[str]] = field(default_factory=dict)  # env -> deleted unit folders
    trees: dict[str, dict[str, str]] = field(default_factory=dict)  # env -> deleted unit -> commit holding it
    stages: list[dict[str, str]] = field(default_factory=list)  # [{environment, after}] a deploy runs
    new_envs: list[str] = field(default_factory=list)  # envs the range added: doc-configs are due there

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    def github_outputs(self) -> str:
        lines = []
        for key, value in asdict(self).items():
            lines.append(f"{key}={json.dumps(value) if isinstance(value, list | dict) else str(value).lower()}")
        return "\n".join(lines) + "\n"


def function_names(repo: Path) -> list[str]:
    """The functions are the lambdas/ folders that have a handler, not a hard-coded list."""
    return sorted(p.parent.name for p in (repo / "lambdas").glob("*/app.py"))


def is_doc(path: str) -> bool:
    pure = PurePosixPath(path)
    return path.startswith("docs/") or (pure.suffix.lower() in DOC_SUFFIXES and not path.startswith("doc-configs/"))


def images_of(paths: list[str], functions: list[str]) -> list[str]:
    images: set[str] = set()
    for path in paths:
        if path.startswith(ALL_IMAGES) or path in ALL_IMAGES:
            images.update(functions)
        elif path.startswith("lambdas/"):
            name = path.split("/")[1]
            if name in functions:
                images.add(name)
    return sorted(images)


def stages(envs: list[str], chosen: list[str]) -> list[dict[str, str]]:
    """The envs a deploy runs, in promotion order, each with the one it waits for ('' - none)."""
    run = [env for env in envs if env in chosen]
    return [{"environment": env, "after": run[i - 1] if i else ""} for i, env in enumerate(run)]


def classify(paths: list[str], repo: Path) -> Changes:
    envs = names(repo)
    changes = Changes(functions=images_of(paths, function_names(repo)))
    changes.doc_configs = any(path.startswith("doc-configs/") for path in paths)
    built_from = [p for p in paths if not is_doc(p)]  # a module's README is not what Terraform reads
    for env in envs:
        found = unit_model.affected(repo, env, built_from, images=bool(changes.functions))
        if found.plan:
            changes.units[env] = found.plan
        if found.destroy:
            changes.destroy[env] = found.destroy
    changes.docs_only = bool(paths) and all(is_doc(p) for p in paths)
    return _settle(changes, envs)


def _settle(changes: Changes, envs: list[str]) -> Changes:
    """The envs with work, and the stages a deploy runs, from the units and destroys found. A new env
    runs after the env before it in the list, in the same run: what that env runs is what the new one
    deploys (its stage marker carries the digests), so that env's stage runs too."""
    changes.envs = [env for env in envs if env in changes.units or env in changes.destroy]
    changes.infrastructure = bool(changes.envs)
    everywhere = bool(changes.functions) or changes.doc_configs
    chosen = set(envs if everywhere else changes.envs)
    for env in changes.new_envs:
        if env in chosen and envs.index(env) > 0:
            chosen.add(envs[envs.index(env) - 1])
    changes.stages = stages(envs, sorted(chosen))
    return changes


def git_output(repo: Path, *args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args],  # noqa: S607 - git from PATH
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except subprocess.CalledProcessError as exc:
        first = (exc.stderr.strip().splitlines() or ["no output"])[0]
        raise GitError(f"git {' '.join(args)} failed: {first} (is the ref fetched? fetch-depth: 0)") from exc


def changed_paths(repo: Path, base: str, head: str) -> list[str]:
    """Every path the range touched: the net diff and each commit's own files. A change that a later
    commit reverted still counts - an env may hold the first commit's version (a run that applied it to
    dev, then failed at test) and must be planned back. Both sides of renames and deletions count
    (`--no-renames`: a rename is a delete and an add)."""
    net = git_output(repo, "diff", "--name-only", "--no-renames", f"{base}...{head}")
    each = git_output(repo, "log", "--format=", "--name-only", "--no-renames", f"{base}..{head}")
    return sorted({line for line in (net + each).splitlines() if line})


def _holds(repo: Path, commit: str, path: str) -> bool:
    held = subprocess.run(
        ["git", "cat-file", "-e", f"{commit}:{path}"],  # noqa: S607 - git from PATH
        cwd=repo,
        capture_output=True,
        check=False,
    )
    return held.returncode == 0


def last_tree(repo: Path, path: str, base: str, head: str) -> str | None:
    """The commit whose tree last held `path` (a deleted unit's configuration) within the range: the
    newest commit touching it that has it, or that commit's parent that had it. `--full-history`: a
    unit that lived and died on a merged branch is found there (git's default simplification hides
    branch commits at a merge that matches its first parent). None: no commit of the range or the base
    held it - nothing was ever deployed from it."""
    touched = git_output(repo, "log", "--full-history", "--format=%H %P", f"{base}..{head}", "--", path).splitlines()
    for line in touched:
        commit, *parents = line.split()
        for candidate in (commit, *parents):
            if _holds(repo, candidate, path):
                return candidate
    return git_output(repo, "rev-parse", base).strip() if _holds(repo, base, path) else None


def detect(repo: Path, base: str, head: str = "HEAD") -> Changes:
    if base.strip("0") == "" and len(base) == len(NO_COMMIT):
        return everything(repo)
    changes = classify(changed_paths(repo, base, head), repo)
    changes.new_envs = [env for env in names(repo) if not _holds(repo, base, f"live/{env}/account.hcl")]
    for env, units in list(changes.destroy.items()):  # where each deleted unit's configuration still is
        trees = {u: last_tree(repo, f"live/{env}/{u}/terragrunt.hcl", base, head) for u in units}
        changes.trees[env] = {u: commit for u, commit in trees.items() if commit is not None}
        changes.destroy[env] = [u for u in units if u in changes.trees[env]]
        if not changes.destroy[env]:
            del changes.destroy[env], changes.trees[env]
    return _settle(changes, names(repo))  # a dropped destroy may have been an env's only work


def affected_units(
    repo: Path, env: str, base: str | None, head: str = "HEAD", *, every: bool = False
) -> unit_model.Affected:
    """The units a plan job plans and destroys in one env: every unit (`every`: drift, a full
    redeploy), or those `base...head` affects. Bad input: UnitsError saying what to give."""
    if (base is None) == (not every):
        raise unit_model.UnitsError("give one of --base REF or --all")
    known = names(repo)
    if env not in known:
        raise unit_model.UnitsError(f"{env!r} is not in live/environments.hcl (known: {', '.join(known)})")
    if every:
        return unit_model.everything(repo, env)
    changes = detect(repo, base or "", head)
    return unit_model.Affected(changes.units.get(env, []), changes.destroy.get(env, []), changes.trees.get(env, {}))


def everything(repo: Path) -> Changes:
    """A full deployment (manual redeploy of a ref, a first push): every image, configs, every unit."""
    envs = names(repo)
    every = {env: unit_model.everything(repo, env).plan for env in envs}
    return Changes(
        functions=function_names(repo),
        doc_configs=True,
        infrastructure=True,
        envs=envs,
        units=every,
        stages=stages(envs, envs),
    )
