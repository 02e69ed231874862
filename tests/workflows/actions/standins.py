"""The external actions the workflows use, as stand-ins act runs in their place (--local-repository).

Each reproduces its action's observable behaviour at the SHA the workflows pin, read from that
action's source (README.md beside this file names the files and what is not reproduced). They are
composite actions whose one step runs `standins.py <action>` with the action's inputs as JSON; what a
real action would do on GitHub's side (artifacts, comments, issues, attestations) goes to the folder
$ACT_WORLD names (tests/workflows/world.py), every call is appended to $ACT_WORLD/actions.jsonl.
Standard library only: it runs under whichever python3 the job has.
"""

from __future__ import annotations

import contextlib
import fcntl
import fnmatch
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class ActionFailed(Exception):
    """What the real action would report with core.setFailed: the step fails with this line."""


def world() -> Path:
    return Path(os.environ["ACT_WORLD"])


def workspace() -> Path:
    return Path(os.environ["GITHUB_WORKSPACE"])


def set_output(name: str, value: str) -> None:
    with Path(os.environ["GITHUB_OUTPUT"]).open("a") as out:
        out.write(f"{name}={value}\n")


def export(name: str, value: str) -> None:
    with Path(os.environ["GITHUB_ENV"]).open("a") as out:
        out.write(f"{name}={value}\n")


def read_json(path: Path, default: Any) -> Any:
    return json.loads(path.read_text()) if path.exists() else default


def write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=1))


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Matrix legs run side by side: one read-modify-write of a GitHub-side record at a time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with (path.parent / f"{path.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def truthy(value: str) -> bool:
    """core.getBooleanInput: the YAML 1.2 core schema's booleans only; anything else is an error."""
    if value in ("true", "True", "TRUE"):
        return True
    if value in ("false", "False", "FALSE", ""):
        return False
    raise ActionFailed(f"Input does not meet YAML 1.2 'Core Schema' specification: {value!r}")


# --- actions/checkout (v7.0.1: src/input-helper.ts, src/ref-helper.ts, src/git-source-provider.ts) ---

SHA = re.compile(r"^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$")


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise ActionFailed(f"The process '/usr/bin/git' failed with exit code {done.returncode}: {done.stderr.strip()}")
    return done


def ref_spec_for_all_history(ref: str, commit: str) -> list[str]:
    specs = ["+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"]
    if ref.upper().startswith("REFS/PULL/"):
        specs.append(f"+{commit or ref}:refs/remotes/pull/{ref[len('refs/pull/') :]}")
    return specs


def ref_spec(ref: str, commit: str, fetch_tags: bool) -> list[str]:
    upper = ref.upper()
    specs = ["+refs/tags/*:refs/tags/*"] if fetch_tags else []
    if commit:
        if upper.startswith("REFS/HEADS/"):
            specs.append(f"+{commit}:refs/remotes/origin/{ref[len('refs/heads/') :]}")
        elif upper.startswith("REFS/PULL/"):
            specs.append(f"+{commit}:refs/remotes/pull/{ref[len('refs/pull/') :]}")
        elif upper.startswith("REFS/TAGS/"):
            if not fetch_tags:
                specs.append(f"+{ref}:{ref}")
        else:
            specs.append(commit)
    elif not upper.startswith("REFS/"):
        specs.append(f"+refs/heads/{ref}*:refs/remotes/origin/{ref}*")
        if not fetch_tags:
            specs.append(f"+refs/tags/{ref}*:refs/tags/{ref}*")
    elif upper.startswith("REFS/HEADS/"):
        specs.append(f"+{ref}:refs/remotes/origin/{ref[len('refs/heads/') :]}")
    elif upper.startswith("REFS/PULL/"):
        specs.append(f"+{ref}:refs/remotes/pull/{ref[len('refs/pull/') :]}")
    elif not (upper.startswith("REFS/TAGS/") and fetch_tags):
        specs.append(f"+{ref}:{ref}")
    return specs


def ref_matches(repo: Path, ref: str, commit: str) -> bool:
    """testRef: did the fetch create the ref at the expected commit?"""
    if not commit:
        return True
    if not ref:
        return git(repo, "rev-parse", "--verify", "--quiet", f"{commit}^{{object}}", check=False).returncode == 0
    upper = ref.upper()
    if upper.startswith("REFS/HEADS/"):
        branch = f"refs/remotes/origin/{ref[len('refs/heads/') :]}"
        found = git(repo, "rev-parse", "--verify", "--quiet", branch, check=False)
        return found.returncode == 0 and found.stdout.strip() == commit
    if upper.startswith("REFS/PULL/"):
        return True
    if upper.startswith("REFS/TAGS/"):
        found = git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
        return found.returncode == 0 and found.stdout.strip() == commit
    return True


def checkout_info(repo: Path, ref: str, commit: str) -> tuple[str, str]:
    """getCheckoutInfo: (what to check out, the start point of a local branch - '' for detached)."""
    upper = ref.upper()
    if not ref:
        return commit, ""
    if upper.startswith("REFS/HEADS/"):
        branch = ref[len("refs/heads/") :]
        return branch, f"refs/remotes/origin/{branch}"
    if upper.startswith("REFS/PULL/"):
        return f"refs/remotes/pull/{ref[len('refs/pull/') :]}", ""
    if upper.startswith("REFS/"):
        return (commit or ref), ""
    if git(repo, "rev-parse", "--verify", "--quiet", f"refs/remotes/origin/{ref}", check=False).returncode == 0:
        return ref, f"refs/remotes/origin/{ref}"
    if git(repo, "rev-parse", "--verify", "--quiet", f"refs/tags/{ref}", check=False).returncode == 0:
        return f"refs/tags/{ref}", ""
    raise ActionFailed(f"A branch or tag with the name '{ref}' could not be found")


def checkout(given: dict[str, str]) -> None:  # noqa: PLR0912 (the action's own branches, one by one)
    repository = given.get("repository") or os.environ["GITHUB_REPOSITORY"]
    owner, _, name = repository.partition("/")
    if not owner or not name or "/" in name:
        raise ActionFailed(f"Invalid repository '{repository}'. Expected format {{owner}}/{{repo}}.")
    root = workspace().resolve()
    path = (root / (given.get("path") or ".")).resolve()
    if not (str(path) + os.sep).startswith(str(root) + os.sep):
        raise ActionFailed(f"Repository path '{path}' is not under '{root}'")
    ref = given.get("ref", "").strip(" \t\n\r\v\f")
    commit = ""
    workflow_repository = repository.upper() == os.environ["GITHUB_REPOSITORY"].upper()
    if not ref:
        if workflow_repository:
            ref, commit = os.environ["GITHUB_REF"], os.environ["GITHUB_SHA"]
            if commit and ref and not ref.startswith("refs/"):
                ref = f"refs/heads/{ref}"
    elif SHA.match(ref):
        ref, commit = "", ref
    depth = int(given.get("fetch-depth") or "1")
    fetch_tags = truthy(given.get("fetch-tags", "false"))
    url = f"{os.environ.get('GITHUB_SERVER_URL', 'https://github.com')}/{owner}/{name}"
    path.mkdir(parents=True, exist_ok=True)
    if not (path / ".git").is_dir():
        for child in path.iterdir():  # a job's workspace starts empty; a leftover is removed, as io.rmRF does
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        git(path, "init")
        git(path, "remote", "add", "origin", url)
    git(path, "config", "--local", "gc.auto", "0")
    header_key = f"http.{os.environ.get('GITHUB_SERVER_URL', 'https://github.com')}/.extraheader"
    git(path, "config", "--local", header_key, "AUTHORIZATION: basic ***")  # configureToken (value masked)
    if not ref and not commit:
        head = git(path, "ls-remote", "--symref", "origin", "HEAD").stdout  # the API's default branch
        ref = head.split()[1] if head.startswith("ref:") else "refs/heads/main"
    fetch = ["-c", "protocol.version=2", "fetch", "--no-tags", "--prune", "--no-recurse-submodules"]
    if depth <= 0:
        git(path, *fetch, "origin", *ref_spec_for_all_history(ref, commit))
        if not ref_matches(path, ref, commit):
            git(path, *fetch, "origin", *ref_spec(ref, commit, fetch_tags=False))
    else:
        git(path, *fetch, f"--depth={depth}", "origin", *ref_spec(ref, commit, fetch_tags))
    if not ref_matches(path, ref, commit):
        raise ActionFailed(
            f"The ref '{ref}' does not point to the expected commit '{commit}'. "
            "The ref may have been updated after the workflow was triggered."
        )
    target, start = checkout_info(path, ref, commit)
    git(path, "checkout", "--progress", "--force", *(["-B", target, start] if start else [target]))
    set_output("commit", git(path, "log", "-1", "--format=%H").stdout.strip())
    set_output("ref", ref)
    if not truthy(given.get("persist-credentials", "true")):
        git(path, "config", "--local", "--unset-all", header_key, check=False)  # removeAuth


# --- aws-actions/configure-aws-credentials (v6.2.3: src/index.ts, src/assumeRole.ts, src/helpers.ts) ---

ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,128}$")


def credentials(given: dict[str, str]) -> None:
    region = given.get("aws-region", "")
    if not region:
        raise ActionFailed("Input required and not supplied: aws-region")
    if not re.fullmatch(r"[a-z0-9-]+", region):
        raise ActionFailed(f"Region is not valid: {region}")
    session = given.get("role-session-name") or "GitHubActions"
    if not 2 <= len(session) <= 64:
        raise ActionFailed(f"Role session name must be between 2 and 64 characters, got {len(session)}: '{session}'")
    if not re.fullmatch(r"[\w+=,.@-]*", session):
        raise ActionFailed(
            f"Role session name is not valid: '{session}'. Must satisfy regular expression pattern: [\\w+=,.@-]*"
        )
    export("AWS_REGION", region)
    export("AWS_DEFAULT_REGION", region)
    role = given.get("role-to-assume", "")
    if not role.startswith("arn:aws"):
        raise ActionFailed("Source Account ID is needed if the Role Name is provided and not the Role Arn.")
    if not ROLE_ARN.match(role):
        raise ActionFailed(f"Role ARN is not valid: {role}")
    if not os.environ.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN"):  # the job has no `id-token: write`
        raise ActionFailed(
            "Could not assume role with OIDC: It looks like you might be trying to authenticate with OIDC. "
            "Did you mean to set the `id-token` permission?"
        )
    duration = int(given.get("role-duration-seconds") or "3600")
    token = os.environ["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]
    answer = assume_role_with_web_identity(role, session, duration, token, region)
    export("AWS_ACCESS_KEY_ID", answer["AccessKeyId"])
    export("AWS_SECRET_ACCESS_KEY", answer["SecretAccessKey"])
    export("AWS_SESSION_TOKEN", answer["SessionToken"])
    export("IDP_ASSUMED_ROLE", role)  # (not the action's: what the recording tool stand-ins log)
    set_output("aws-account-id", role.split(":")[4])
    record("aws-actions/configure-aws-credentials", {"role": role, "session": session, "duration": duration})


def assume_role_with_web_identity(role: str, session: str, duration: int, token: str, region: str) -> dict[str, str]:
    """STS AssumeRoleWithWebIdentity on the embedded AWS (query API, unsigned - as the action calls it)."""
    if not 900 <= duration <= 43200:
        raise ActionFailed(
            f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to satisfy constraint"
        )
    endpoint = os.environ.get("AWS_ENDPOINT_URL_STS") or os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        raise ActionFailed("no STS endpoint: the tests' embedded AWS (AWS_ENDPOINT_URL) is not set")
    form = {
        "Action": "AssumeRoleWithWebIdentity",
        "Version": "2011-06-15",
        "RoleArn": role,
        "RoleSessionName": session,
        "DurationSeconds": str(duration),
        "WebIdentityToken": token,
    }
    import urllib.parse  # here: ~20 ms of imports every other stand-in would pay at each start
    import urllib.request

    body = urllib.parse.urlencode(form).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    request = urllib.request.Request(endpoint, data=body, headers=headers)  # noqa: S310 (the embedded AWS)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (the embedded AWS, loopback)
            text = response.read().decode()
    except OSError as error:
        raise ActionFailed(f"Could not assume role with OIDC: {error}") from error
    found = {
        key: re.search(f"<{key}>([^<]*)</{key}>", text) for key in ("AccessKeyId", "SecretAccessKey", "SessionToken")
    }
    if not all(found.values()):
        raise ActionFailed("AssumeRole call succeeded but returned no credentials")
    return {key: match.group(1) for key, match in found.items() if match}


# --- actions/upload-artifact (v7.0.0) and actions/download-artifact (v8.0.1) ---


def artifacts() -> Path:
    """A run's artifacts (GitHub keeps them per run; re-runs of its jobs see the same ones)."""
    return world() / "artifacts" / os.environ["GITHUB_RUN_ID"]


def is_hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def search_path(line: str) -> Path:
    """@actions/glob's search path of a pattern: the part before the first segment with a wildcard."""
    path = Path(line) if Path(line).is_absolute() else workspace() / line
    kept = []
    for part in path.parts:
        if any(c in part for c in "*?["):
            break
        kept.append(part)
    return Path(*kept)


def upload(given: dict[str, str]) -> None:
    """src/shared/search.ts: directories are walked, hidden files left out unless asked for; the root is
    the one search path (a lone file's parent), or the least common ancestor of several."""
    name = given.get("name") or "artifact"
    hidden = truthy(given.get("include-hidden-files", "false"))
    lines = [line.strip() for line in given.get("path", "").splitlines() if line.strip()]
    found: list[Path] = []
    for line in lines:
        base = search_path(line)
        pattern = str(Path(line) if Path(line).is_absolute() else workspace() / line)
        matches = [base] if pattern == str(base) else sorted(base.glob(str(Path(pattern).relative_to(base))))
        for match in matches:
            files = sorted(p for p in match.rglob("*") if p.is_file()) if match.is_dir() else [match]
            # v4.4+: hidden files and folders (below the search path) are left out unless asked for
            found += [f for f in files if f.is_file() and (hidden or not is_hidden(f.relative_to(base)))]
    if not found:
        mode = given.get("if-no-files-found") or "warn"
        message = f"No files were found with the provided path: {given.get('path')}. No artifacts will be uploaded."
        if mode == "error":
            raise ActionFailed(message)
        print(f"::{'warning' if mode == 'warn' else 'notice'}::{message}")
        return
    searched = [search_path(line) for line in lines]
    if len(searched) > 1:
        root = Path(os.path.commonpath(searched))
    elif len(found) == 1 and found[0] == searched[0]:
        root = found[0].parent
    else:
        root = searched[0]
    target = artifacts() / name
    if target.exists():
        if not truthy(given.get("overwrite", "false")):
            raise ActionFailed(
                "Failed to CreateArtifact: Received non-retryable error: Failed request: (409) Conflict: "
                "an artifact with this name already exists on the workflow run"
            )
        shutil.rmtree(target)
    for path in found:
        (target / path.relative_to(root)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target / path.relative_to(root))
    set_output("artifact-id", str(int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)))
    record("actions/upload-artifact", {"name": name, "files": [str(p.relative_to(root)) for p in found]})


def download(given: dict[str, str]) -> None:
    destination = Path(given.get("path") or str(workspace())).expanduser()
    destination = destination if destination.is_absolute() else workspace() / destination
    name, pattern = given.get("name", ""), given.get("pattern", "")
    stored = artifacts()
    if name:
        if not (stored / name).is_dir():
            raise ActionFailed(f"Artifact '{name}' not found")
        chosen = [name]
    else:
        chosen = sorted(p.name for p in stored.iterdir()) if stored.is_dir() else []
        if pattern:
            chosen = [n for n in chosen if fnmatch.fnmatchcase(n, pattern)]
    merge = truthy(given.get("merge-multiple", "false"))
    for artifact in chosen:
        target = destination if name or merge else destination / artifact
        shutil.copytree(stored / artifact, target, dirs_exist_ok=True)
    set_output("download-path", str(destination))
    record("actions/download-artifact", {"name": name, "pattern": pattern, "downloaded": chosen})


# --- marocchino/sticky-pull-request-comment (v3.0.5), peter-evans/create-issue-from-file (v6.0.0) ---


def pull_request_number() -> int:
    event = json.loads(Path(os.environ["GITHUB_EVENT_PATH"]).read_text())
    number = event.get("pull_request", {}).get("number") or event.get("number")
    if not number:
        raise ActionFailed("no number found for the pull request or the issue")
    return int(number)


def sticky(given: dict[str, str]) -> None:
    number = int(given.get("number") or pull_request_number())
    header = given.get("header", "")
    body = given.get("message", "")
    if given.get("path"):
        body = (
            (workspace() / given["path"]).read_text()
            if not Path(given["path"]).is_absolute()
            else Path(given["path"]).read_text()
        )
    if not body and not truthy(given.get("delete", "false")):
        raise ActionFailed("Either message or path input is required")
    state = world() / "comments.json"
    with locked(state):
        update_comment(state, number, header, body, given)


def update_comment(state: Path, number: int, header: str, body: str, given: dict[str, str]) -> None:
    comments: list[dict[str, Any]] = read_json(state, [])
    mine = [c for c in comments if c["pr"] == number and c["header"] == header]
    if truthy(given.get("only_update", "false")) and not mine:
        print("no previous comment: nothing to update (only_update)")
        record("marocchino/sticky-pull-request-comment", {"header": header, "updated": False})
        return
    if mine and truthy(given.get("only_create", "false")):
        return
    if mine:
        mine[0]["body"] = (mine[0]["body"] + "\n" + body) if truthy(given.get("append", "false")) else body
        mine[0]["updates"] += 1
    else:
        comments.append({"pr": number, "header": header, "body": body, "updates": 0})
    write_json(state, comments)
    record("marocchino/sticky-pull-request-comment", {"header": header, "updated": bool(mine)})


def create_issue(given: dict[str, str]) -> None:
    path = workspace() / given["content-filepath"]
    if not path.is_file():
        print(f"::warning::File not found: {path}")  # the action only warns and creates nothing
        return
    state = world() / "issues.json"
    with locked(state):
        update_issue(state, path, given)


def update_issue(state: Path, path: Path, given: dict[str, str]) -> None:
    issues: list[dict[str, Any]] = read_json(state, [])
    number = given.get("issue-number", "")
    labels = [label.strip() for label in given.get("labels", "").split(",") if label.strip()]
    if number:
        issue = next(i for i in issues if str(i["number"]) == number)
        issue.update(title=given["title"], body=path.read_text())
    else:
        issue = {"number": len(issues) + 1, "title": given["title"], "body": path.read_text(), "labels": labels}
        issues.append(issue)
    write_json(state, issues)
    set_output("issue-number", str(issue["number"]))


# --- actions/attest-build-provenance (v4.1.0), docker/*, jdx/mise-action, actions/cache, the rest ---


def attest(given: dict[str, str]) -> None:
    if not given.get("subject-digest", "").startswith("sha256:") or not given.get("subject-name"):
        raise ActionFailed("One of subject-path, subject-digest, or subject-checksums must be provided")
    for needed in ("ACTIONS_ID_TOKEN_REQUEST_TOKEN",):
        if not os.environ.get(needed):
            raise ActionFailed(
                'missing "id-token" permission. Please add "permissions: id-token: write" to your workflow.'
            )
    attestations = world() / "attestations.json"
    subject = {k: given.get(k, "") for k in ("subject-name", "subject-digest", "push-to-registry")}
    with locked(attestations):
        write_json(attestations, [*read_json(attestations, []), subject])
    set_output("attestation-id", hashlib.sha256(given["subject-digest"].encode()).hexdigest()[:12])


def build_push(given: dict[str, str]) -> None:
    """No Docker engine: the inputs must name real files; the digest is what would be built's."""
    context = workspace() / given.get("context", ".")
    dockerfile = workspace() / given.get("file", "Dockerfile")
    if not context.is_dir() or not dockerfile.is_file():
        raise ActionFailed(f"buildx failed: context {context} or file {dockerfile} does not exist")
    tags = given.get("tags", "")
    if not tags or "/" not in tags:
        raise ActionFailed(f"tags {tags!r} name no repository to push to")
    seed = dockerfile.read_bytes() + given.get("build-args", "").encode() + tags.encode()
    digest = "sha256:" + hashlib.sha256(seed).hexdigest()
    if truthy(given.get("push", "false")):
        digest = push_manifest(tags.splitlines()[0].strip(), digest)
    set_output("digest", digest)
    set_output("imageid", digest)
    record(
        "docker/build-push-action", {k: given.get(k, "") for k in ("tags", "platforms", "provenance", "sbom", "push")}
    )


def push_manifest(tag: str, config_digest: str) -> str:
    """Push an image manifest (single-platform, as `provenance: false` leaves it) to the embedded
    registry with the job's credentials: the digest is the one ECR computes, as for a real push."""
    import boto3  # the stand-in runs under the project's Python (ACT_STANDIN_PYTHON)

    registry, _, rest = tag.partition("/")
    repository, _, image_tag = rest.rpartition(":")
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 0, "digest": config_digest},
        "layers": [],
    }
    ecr = boto3.client("ecr", region_name=registry.split(".")[3])
    try:
        pushed = ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag=image_tag)
    except Exception as error:
        raise ActionFailed(f"buildx failed with: failed to push {tag}: {error}") from error
    return str(pushed["image"]["imageId"]["imageDigest"])


def mise(given: dict[str, str]) -> None:
    """jdx/mise-action without a version installs mise's latest release; this project pins one."""
    if not re.fullmatch(r"\d{4}\.\d{1,2}\.\d+", given.get("version", "")):
        raise ActionFailed(f"mise-action: version {given.get('version')!r} is not a mise release (YYYY.M.P)")
    if not (workspace() / ".mise.toml").is_file():
        raise ActionFailed("mise-action: no .mise.toml in the workspace")


def ecr_login(given: dict[str, str]) -> None:
    if not os.environ.get("AWS_ACCESS_KEY_ID"):
        raise ActionFailed("Credentials could not be loaded, please check your action inputs")
    account = os.environ.get("IDP_ASSUMED_ROLE", "::::000000000000").split(":")[4]
    set_output("registry", f"{account}.dkr.ecr.{os.environ['AWS_REGION']}.amazonaws.com")


def cache(given: dict[str, str]) -> None:
    """actions/cache on a runner that has never cached: nothing restored (cache-hit false). What it was
    asked - path, key (act evaluated its hashFiles), restore-keys - is logged for the scenarios.
    Not reproduced: saving at the job's end and restoring on a later run (GitHub's cache service)."""
    for name in ("path", "key"):
        if not given.get(name):
            raise ActionFailed(f"Input required and not supplied: {name}")
    key = given["key"]  # @actions/cache checkKey: its two refusals
    if len(key) > 512:
        raise ActionFailed(f"Key Validation Error: {key} cannot be larger than 512 characters.")
    if "," in key:
        raise ActionFailed(f"Key Validation Error: {key} cannot contain commas.")
    set_output("cache-hit", "false")  # its inputs are in the world's log, as every action's


def no_op(given: dict[str, str]) -> None:
    """Installs or caches something this machine has already (buildx, qemu, trivy, caches)."""


def record(action: str, facts: dict[str, Any]) -> None:
    with (world() / "actions.jsonl").open("a") as log:
        log.write(json.dumps({"action": action, "job": os.environ.get("GITHUB_JOB"), **facts}) + "\n")


ACTIONS = {
    "checkout": checkout,
    "credentials": credentials,
    "upload": upload,
    "download": download,
    "sticky": sticky,
    "create-issue": create_issue,
    "attest": attest,
    "build-push": build_push,
    "mise": mise,
    "ecr-login": ecr_login,
    "cache": cache,
    "no-op": no_op,
}


def main() -> int:
    action = sys.argv[1]
    given = {key: "" if value is None else str(value) for key, value in json.loads(os.environ["INPUTS"]).items()}
    with (world() / "actions.jsonl").open("a") as log:
        log.write(json.dumps({"action": action, "job": os.environ.get("GITHUB_JOB"), "inputs": given}) + "\n")
    try:
        ACTIONS[action](given)
    except ActionFailed as failed:
        print(f"::error::{failed}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
