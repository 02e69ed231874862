"""What is deployed where: account facts from live/, the release manifest (image digest per
function) kept in SSM with its history, and the audit record of each deployment."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from idp.hcl import load, merged_locals
from idp.naming import FUNCTIONS, repository
from idp.paths import REPO_ROOT, stack_region_files

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class EnvInfo:
    environment: str
    account_id: str
    region: str
    state_bucket: str
    plan_role_arn: str
    pr_plan_role_arn: str  # a pull request's plans: the state only (modules/github-oidc, docs/adr/0002)
    apply_role_arn: str
    image_push_role_arn: str  # only assumable in the registry account (live/_units/ecr.hcl: dev)
    ecr_registry: str

    def github_outputs(self) -> str:
        return "".join(f"{key}={value}\n" for key, value in asdict(self).items())


def env_info(env: str, live: Path = REPO_ROOT / "live") -> EnvInfo:
    """From live/<env>/account.hcl (the only place an account id lives) and the roles' naming rule."""
    account_file = live / env / "account.hcl"
    if not account_file.is_file():
        known = sorted(p.parent.name for p in live.glob("*/account.hcl"))
        raise ValueError(f"no environment {env!r} (live/{env}/account.hcl); known: {', '.join(known)}")
    account = merged_locals(load(account_file))
    region_files = stack_region_files(live / env)
    region = merged_locals(load(region_files[0]))["aws_region"] if region_files else account["state_region"]
    repo = str(account["repository"]).split("/")[-1]
    role = f"arn:aws:iam::{account['account_id']}:role/{repo}-{env}"
    return EnvInfo(
        environment=env,
        account_id=account["account_id"],
        region=region,
        state_bucket=account["state_bucket"],
        plan_role_arn=f"{role}-plan",
        pr_plan_role_arn=f"{role}-pr-plan",
        apply_role_arn=f"{role}-apply",
        image_push_role_arn=f"arn:aws:iam::{account['account_id']}:role/{repo}-image-push",
        ecr_registry=f"{account['account_id']}.dkr.ecr.{region}.amazonaws.com",
    )


def manifest_parameter(env: str, project: str = "idp") -> str:
    return f"/{project}/{env}/release/image-digests"


def validate_digests(digests: Mapping[str, str]) -> list[str]:
    problems = [f"{fn}: no digest" for fn in FUNCTIONS if fn not in digests]
    problems += [f"{fn}: {d!r} is not sha256:<64 hex>" for fn, d in digests.items() if not DIGEST.match(d)]
    problems += [f"{fn}: not a function" for fn in digests if fn not in FUNCTIONS]
    return problems


def merge(current: Mapping[str, str], built: Mapping[str, str]) -> dict[str, str]:
    """Newly built images replace the deployed ones; the rest stay as deployed."""
    return dict(sorted({**current, **built}.items()))


def read_built(directory: Path) -> dict[str, str]:
    """digest-<function>.json files written by the image build jobs."""
    built: dict[str, str] = {}
    for path in sorted(directory.glob("digest-*.json")):
        data = json.loads(path.read_text())
        built[data["function"]] = data["digest"]
    return built


PLACEHOLDER_DIGEST = "sha256:" + "0" * 64  # an image not built yet, in a plan that is never applied


@dataclass(frozen=True)
class DeployDigests:
    """The images a plan deploys and where they come from (said in the plan comment)."""

    digests: dict[str, str]
    source: str
    placeholders: tuple[str, ...] = ()


def deploy_digests(
    env: str,
    current: Mapping[str, str],
    built: Mapping[str, str],
    *,
    promoted: Mapping[str, str] | None = None,
    promoted_from: str = "",
    placeholders: bool = False,
) -> DeployDigests:
    """The env's release, else what the env before it promoted in this run (a new env gets what its
    predecessor runs), overlaid with this run's builds. An env never released with nothing promoted
    (a pull request or drift plan before the first deploy) has no images yet: with `placeholders` (a
    plan that is never applied) the missing ones are planned as PLACEHOLDER_DIGEST and named; without,
    an incomplete map is refused - an apply never deploys a placeholder."""
    if current:
        base, source = dict(current), f"the {env} release"
    elif promoted:
        base, source = dict(promoted), f"promoted from {promoted_from or 'the previous env'} in this run"
    else:
        base, source = {}, f"{env} was never released"
    digests = merge(base, built)
    missing = tuple(fn for fn in FUNCTIONS if fn not in digests)
    if missing and placeholders:
        digests = merge(digests, dict.fromkeys(missing, PLACEHOLDER_DIGEST))
    problems = validate_digests(digests)
    if problems:
        raise ValueError(f"incomplete image digests ({source}) — " + "; ".join(problems))
    return DeployDigests(digests, source, missing if placeholders else ())


def read_promoted(path: Path) -> tuple[str, dict[str, str]]:
    """The previous env's marker (deploy's `promoted-<env>` artifact): its name and deployed digests."""
    data = json.loads(path.read_text())
    digests = data.get("digests") or {}
    if not isinstance(digests, dict):
        raise ValueError(f"{path}: digests is not a map")
    return str(data.get("environment", "")), {str(k): str(v) for k, v in digests.items()}


@dataclass(frozen=True)
class Release:
    """What an env runs after a validated deploy: the commit (module code, doc-configs) and the images."""

    commit: str
    digests: dict[str, str]

    def to_json(self) -> str:
        return json.dumps({"commit": self.commit, "digests": dict(sorted(self.digests.items()))})

    @classmethod
    def from_json(cls, value: str) -> Release:
        data = json.loads(value)
        if "digests" not in data:  # recorded before releases named their commit: the images only
            return cls("", dict(data))
        return cls(str(data.get("commit", "")), dict(data["digests"]))


def current_release(ssm: Any, env: str) -> Release | None:
    try:
        value = ssm.get_parameter(Name=manifest_parameter(env))["Parameter"]["Value"]
    except ssm.exceptions.ParameterNotFound:
        return None
    return Release.from_json(value)


def current_manifest(ssm: Any, env: str) -> dict[str, str]:
    release = current_release(ssm, env)
    return release.digests if release else {}


def previous_manifest(ssm: Any, env: str) -> dict[str, str]:
    """The manifest before the current one (what a rollback redeploys)."""
    history: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"Name": manifest_parameter(env)}
    while True:
        page = ssm.get_parameter_history(**kwargs)
        history += page.get("Parameters", [])
        if not page.get("NextToken"):
            break
        kwargs["NextToken"] = page["NextToken"]
    history.sort(key=lambda p: p["Version"])
    if len(history) < 2:
        raise ValueError(f"no previous release recorded for {env}: nothing to roll back to")
    return Release.from_json(history[-2]["Value"]).digests


def record_release(ssm: Any, env: str, release: Release) -> None:
    ssm.put_parameter(Name=manifest_parameter(env), Value=release.to_json(), Type="String", Overwrite=True)


def restorable(release: Release | None, env: str) -> Release:
    """The last validated release of an env, if a rollback can restore it (its commit is known)."""
    if release is None:
        raise ValueError(f"no release recorded for {env}: nothing to roll back to (a first deploy)")
    if not release.commit:
        raise ValueError(f"the {env} release names no commit (recorded by an older pipeline): roll back by hand")
    problems = validate_digests(release.digests)
    if problems:
        raise ValueError(f"the {env} release is incomplete: " + "; ".join(problems))
    return release


class NotReviewedError(ValueError):
    """A commit that is not on the protected branch: never deployed with deploy credentials."""


def ref_candidates(ref: str) -> list[str]:
    """What a dispatched `ref` can name in a workflow's checkout, in git's order (a qualified ref, a
    commit, a tag, a branch). actions/checkout with fetch-depth: 0 keeps GitHub's branches only as
    refs/remotes/origin/*, and a job that checks out a SHA has no local branch: `main` is origin's.
    A local branch is never looked at - it is this machine's, not the repository's."""
    if ref.startswith("refs/"):
        return [ref]
    candidates = [ref] if re.fullmatch(r"[0-9a-fA-F]{7,64}", ref) else []
    return [*candidates, f"refs/tags/{ref}", f"refs/remotes/origin/{ref}"]


def deployable_commit(ref: str, branch: str, repo: Path) -> str:
    """The full SHA of `ref`, if it is on `branch` (e.g. origin/main): only reviewed, merged code is
    built, planned and applied - a dispatched tag or SHA from elsewhere would run its own workflow
    scripts and write caches that the deploy jobs restore while they hold deploy credentials."""

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)  # noqa: S607

    sha = ""
    for candidate in ref_candidates(ref):
        resolved = git("rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}")
        if resolved.returncode == 0:
            sha = resolved.stdout.strip()
            break
    if not sha:
        raise NotReviewedError(
            f"{ref!r} is not a commit, tag or branch of this repository (fetch it: actions/checkout fetch-depth: 0)"
        )
    if git("rev-parse", "--verify", "--quiet", branch).returncode != 0:
        raise NotReviewedError(f"the branch {branch!r} is not fetched (actions/checkout fetch-depth: 0)")
    if git("merge-base", "--is-ancestor", sha, branch).returncode != 0:
        raise NotReviewedError(f"{ref} ({sha[:12]}) is not on {branch}: only merged commits are deployed")
    return sha


RELEASE_TAG_PREFIX = "release-"  # modules/ecr's lifecycle never expires an image tagged so


def release_tag(env: str, commit: str) -> str:
    return f"{RELEASE_TAG_PREFIX}{env}-{commit[:12]}"


def protect_images(ecr: Any, env: str, release: Release) -> list[str]:
    """Tag every image of a validated release (`release-<env>-<commit>`): ECR's lifecycle keeps tagged
    release images whatever their age or count, so a rollback always finds the images it restores.
    Tags are immutable: a tag that exists already (a re-run) is left as it is."""
    tag = release_tag(env, release.commit)
    done = []
    for function, digest in sorted(release.digests.items()):
        name = repository(function)
        images = ecr.batch_get_image(repositoryName=name, imageIds=[{"imageDigest": digest}])["images"]
        if not images:
            raise ValueError(f"{name}@{digest} is not in the registry: nothing to keep")
        image = images[0]
        with contextlib.suppress(
            ecr.exceptions.ImageAlreadyExistsException, ecr.exceptions.ImageTagAlreadyExistsException
        ):
            ecr.put_image(
                repositoryName=name,
                imageManifest=image["imageManifest"],
                imageManifestMediaType=image.get(
                    "imageManifestMediaType", "application/vnd.docker.distribution.manifest.v2+json"
                ),
                imageTag=tag,
                imageDigest=digest,
            )
        done.append(f"{name}:{tag}")
    return done
