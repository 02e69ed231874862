"""A small GitHub Actions job runner for tests: runs a job's steps the way the runner does.

- `run:` steps: `bash --noprofile --norc -eo pipefail` (GitHub's default shell), in the step's
  `working-directory` (relative to the workspace), with the workflow's, job's and step's `env:`,
  GITHUB_OUTPUT / GITHUB_ENV / GITHUB_STEP_SUMMARY files, GITHUB_WORKSPACE, RUNNER_TEMP, GITHUB_SHA...
- `${{ }}` expressions: the contexts (inputs, steps, needs, github, runner, env, job, matrix, vars) and
  operators and functions the workflows use; anything else raises (never evaluated to "").
- `if:` conditions with success()/failure()/always()/cancelled(); a failed step fails the job and
  later steps run only if their condition asks for it.
- the job's `outputs:` are evaluated at its end, for the next job's `needs`.
- `uses:` local composite actions run their steps; external actions are stand-ins (ACTIONS below),
  each doing the one thing the workflows rely on (artifacts are kept in a folder between jobs).
Tools that cannot run here (terragrunt, aws, gh, docker) are put first on PATH by the caller.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import REPO_ROOT

EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)
TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<str>'(?:[^']|'')*')|(?P<op>==|!=|<=|>=|&&|\|\||[!<>().,\[\]*])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*))"
)


class WorkflowError(AssertionError):
    """The workflow does something the runner cannot give meaning to: a test failure, not a skip."""


def truthy(value: Any) -> bool:
    return value not in (None, False, 0, "", -0.0)


class Expression:
    """GitHub's expression language, the part the workflows use."""

    def __init__(
        self, text: str, context: Mapping[str, Any], status: Callable[[str], bool], workspace: Path = REPO_ROOT
    ) -> None:
        self.tokens = self._tokenize(text)
        self.pos = 0
        self.context = context
        self.status = status
        self.workspace = workspace

    def _hash_files(self, *patterns: str) -> str:
        """hashFiles(): a SHA-256 over the matching files' SHA-256s ('' when none match)."""
        files = sorted({p for pattern in patterns for p in self.workspace.glob(pattern) if p.is_file()})
        if not files:
            return ""
        outer = hashlib.sha256()
        for path in files:
            outer.update(hashlib.sha256(path.read_bytes()).digest())
        return outer.hexdigest()

    @staticmethod
    def _tokenize(text: str) -> list[tuple[str, str]]:
        tokens, pos = [], 0
        text = text.strip()
        while pos < len(text):
            match = TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                raise WorkflowError(f"cannot read the expression {text!r} at {text[pos:]!r}")
            kind = match.lastgroup or ""
            tokens.append((kind, match.group(kind)))
            pos = match.end()
        return tokens

    def evaluate(self) -> Any:
        value = self._or()
        if self.pos != len(self.tokens):
            raise WorkflowError(f"unexpected {self.tokens[self.pos][1]!r} in an expression")
        return value

    def _peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def _take(self, expected: str | None = None) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise WorkflowError("the expression ends too early")
        token = self.tokens[self.pos]
        if expected is not None and token[1] != expected:
            raise WorkflowError(f"expected {expected!r}, found {token[1]!r}")
        self.pos += 1
        return token

    def _or(self) -> Any:
        value = self._and()
        while self._peek() == "||":
            self._take()
            right = self._and()
            value = value if truthy(value) else right
        return value

    def _and(self) -> Any:
        value = self._compare()
        while self._peek() == "&&":
            self._take()
            right = self._compare()
            value = right if truthy(value) else value
        return value

    def _compare(self) -> Any:
        value = self._unary()
        while self._peek() in ("==", "!=", "<", ">", "<=", ">="):
            op = self._take()[1]
            left, right = self._coerce(value, self._unary())
            if op in ("==", "!="):
                value = (left == right) == (op == "==")
            elif isinstance(left, float) and (math.isnan(left) or math.isnan(right)):
                value = False
            else:
                value = {"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}[op]
        return value

    @staticmethod
    def _number(value: Any) -> float:  # noqa: PLR0911 - one answer per JSON type
        if value is None:
            return 0.0
        if isinstance(value, bool):
            return 1.0 if value else 0.0
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            text = value.strip()
            if text == "":
                return 0.0
            try:
                return float(text)
            except ValueError:
                return math.nan
        return math.nan

    @classmethod
    def _coerce(cls, left: Any, right: Any) -> tuple[Any, Any]:
        """GitHub's loose equality: strings compare case-insensitively; different types as numbers
        (null and '' are 0, so an unset output == '' is true)."""
        if isinstance(left, str) and isinstance(right, str):
            return left.lower(), right.lower()
        if type(left) is type(right) and not isinstance(left, (dict, list)):
            return left, right
        if isinstance(left, (dict, list)) or isinstance(right, (dict, list)):
            return id(left), id(right)
        return cls._number(left), cls._number(right)

    def _unary(self) -> Any:
        if self._peek() == "!":
            self._take()
            return not truthy(self._unary())
        return self._primary()

    def _primary(self) -> Any:  # noqa: PLR0911 - one answer per token kind
        kind, text = self._take()
        if text == "(":
            value = self._or()
            self._take(")")
            return value
        if kind == "num":
            return float(text) if "." in text else int(text)
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind != "name":
            raise WorkflowError(f"unexpected {text!r} in an expression")
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if self._peek() == "(":
            return self._call(text)
        value = self._lookup(self.context, text)
        while self._peek() in (".", "["):
            if self._take()[1] == ".":
                value = self._lookup(value, self._take()[1])
            else:
                key = self._or()
                self._take("]")
                value = self._lookup(value, key)
        return value

    @staticmethod
    def _lookup(value: Any, key: Any) -> Any:
        if isinstance(value, Mapping):
            return value.get(key)
        return None

    def _call(self, name: str) -> Any:
        self._take("(")
        args = []
        while self._peek() != ")":
            args.append(self._or())
            if self._peek() == ",":
                self._take()
        self._take(")")
        if name in ("success", "failure", "always", "cancelled"):
            return self.status(name)
        functions: dict[str, Callable[..., Any]] = {
            "fromJSON": json.loads,
            "toJSON": json.dumps,
            "contains": lambda haystack, needle: (
                needle in haystack if isinstance(haystack, list) else str(needle).lower() in str(haystack).lower()
            ),
            "startsWith": lambda text, prefix: str(text).lower().startswith(str(prefix).lower()),
            "hashFiles": self._hash_files,
            "format": lambda template, *values: re.sub(r"\{(\d+)\}", lambda m: str(values[int(m.group(1))]), template),
        }
        if name not in functions:
            raise WorkflowError(f"the runner does not know the function {name}()")
        return functions[name](*args)


def render(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


@dataclass
class Step:
    name: str
    id: str | None
    ran: bool
    outcome: str  # success, failure, skipped
    outputs: dict[str, str]
    output: str = ""


@dataclass
class JobRun:
    outputs: dict[str, str]
    steps: list[Step]
    status: str
    summary: str
    env: dict[str, str]

    def step(self, name: str) -> Step:
        return next(s for s in self.steps if s.name == name)


ActionStandIn = Callable[["JobRunner", dict[str, str]], dict[str, str]]


@dataclass
class JobRunner:
    workflow: Path
    job: str
    runner_temp: Path
    artifacts: Path  # shared between jobs, as the run's artifact storage is
    inputs: dict[str, Any] = field(default_factory=dict)
    needs: dict[str, Any] = field(default_factory=dict)
    github: dict[str, Any] = field(default_factory=dict)
    matrix: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)  # the machine's environment (PATH with stand-ins)
    workspace: Path = REPO_ROOT
    skip: dict[str, str] = field(default_factory=dict)  # step name -> why this test does not run it
    actions: dict[str, ActionStandIn] = field(default_factory=dict)
    recorded: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (action, with) per use

    def __post_init__(self) -> None:
        self.document = yaml.safe_load(self.workflow.read_text())
        self.definition = self.document["jobs"][self.job]
        # Inputs not given take their declared default, as GitHub gives them (YAML 1.1 reads `on` as True).
        triggers = self.document.get("on", self.document.get(True)) or {}
        declared = (triggers.get("workflow_call") or {}).get("inputs") or {} if isinstance(triggers, dict) else {}
        for name, spec in declared.items():
            if name not in self.inputs and "default" in (spec or {}):
                self.inputs = {**self.inputs, name: spec["default"]}
        self.steps: dict[str, dict[str, Any]] = {}
        self.job_env: dict[str, str] = {}
        self.failed = False

    def context(self) -> dict[str, Any]:
        return {
            "inputs": self.inputs,
            "needs": self.needs,
            "github": self.github,
            "matrix": self.matrix,
            "runner": {"temp": str(self.runner_temp), "os": "Linux"},
            "steps": self.steps,
            "env": self.job_env,
            "job": {"status": "failure" if self.failed else "success"},
            "vars": {},
            "secrets": {},
        }

    def status(self, name: str) -> bool:
        return {"success": not self.failed, "failure": self.failed, "always": True, "cancelled": False}[name]

    def evaluate(self, text: str) -> Any:
        return Expression(text, self.context(), self.status, self.workspace).evaluate()

    def interpolate(self, value: Any) -> str:
        text = render(value)
        return EXPRESSION.sub(lambda m: render(self.evaluate(m.group(1))), text)

    def condition(self, value: Any) -> bool:
        if value is None:
            return not self.failed
        text = str(value).strip()
        match = EXPRESSION.fullmatch(text)
        expression = match.group(1) if match else text
        if not re.search(r"\b(success|failure|always|cancelled)\(", expression):
            expression = f"success() && ({expression})"
        return truthy(self.evaluate(expression))

    def run(self) -> JobRun:
        self.runner_temp.mkdir(parents=True, exist_ok=True)
        for layer in (self.document.get("env") or {}, self.definition.get("env") or {}):
            for key, value in layer.items():
                self.job_env[key] = self.interpolate(value)
        results = [self._step(step, index) for index, step in enumerate(self.definition.get("steps", []))]
        outputs = {k: self.interpolate(v) for k, v in (self.definition.get("outputs") or {}).items()}
        summary = (
            (self.runner_temp / "step_summary.md").read_text()
            if (self.runner_temp / "step_summary.md").exists()
            else ""
        )
        return JobRun(outputs, results, "failure" if self.failed else "success", summary, dict(self.job_env))

    def _step(self, step: dict[str, Any], index: int, prefix: str = "") -> Step:
        name = prefix + str(step.get("name") or step.get("uses") or f"step {index}")
        step_id = step.get("id")
        if name in self.skip or not self.condition(step.get("if")):
            result = Step(name, step_id, False, "skipped", {})
        elif "uses" in step:
            result = self._uses(step, name)
        else:
            result = self._run(step, name)
        if step_id:
            self.steps[step_id] = {"outputs": result.outputs, "outcome": result.outcome, "conclusion": result.outcome}
        if result.outcome == "failure":
            self.failed = True
        return result

    def _files(self) -> dict[str, Path]:
        files = {
            "GITHUB_OUTPUT": self.runner_temp / "output",
            "GITHUB_ENV": self.runner_temp / "env",
            "GITHUB_STEP_SUMMARY": self.runner_temp / "step_summary.md",
        }
        for key in ("GITHUB_OUTPUT", "GITHUB_ENV"):
            files[key].write_text("")
        return files

    def _run(self, step: dict[str, Any], name: str) -> Step:
        files = self._files()
        env = {**self.env, **self.job_env}
        env.update({k: self.interpolate(v) for k, v in (step.get("env") or {}).items()})
        env.update({k: str(v) for k, v in files.items()})
        env.update(
            {
                "GITHUB_WORKSPACE": str(self.workspace),
                "RUNNER_TEMP": str(self.runner_temp),
                "CI": "true",
                "GITHUB_ACTIONS": "true",
                **{f"GITHUB_{k.upper()}": render(v) for k, v in self.github.items() if not isinstance(v, dict)},
            }
        )
        workdir = self.workspace / self.interpolate(step.get("working-directory", ""))
        if not workdir.is_dir():
            return Step(name, step.get("id"), True, "failure", {}, f"working-directory {workdir} does not exist")
        script = self.runner_temp / f"step-{abs(hash(name))}.sh"
        script.write_text(self.interpolate(step["run"]))
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        outputs = self._read_pairs(files["GITHUB_OUTPUT"])
        self.job_env.update(self._read_pairs(files["GITHUB_ENV"]))
        output = proc.stdout + proc.stderr
        return Step(name, step.get("id"), True, "success" if proc.returncode == 0 else "failure", outputs, output)

    @staticmethod
    def _read_pairs(path: Path) -> dict[str, str]:
        pairs: dict[str, str] = {}
        lines = path.read_text().splitlines()
        index = 0
        while index < len(lines):
            line = lines[index]
            if "<<" in line and "=" not in line.split("<<", 1)[0]:
                key, delimiter = line.split("<<", 1)
                end = lines.index(delimiter, index + 1)
                pairs[key] = "\n".join(lines[index + 1 : end])
                index = end + 1
                continue
            if "=" not in line:
                raise WorkflowError(f"a line of {path.name} is neither name=value nor a heredoc: {line!r}")
            key, value = line.split("=", 1)
            pairs[key] = value
            index += 1
        return pairs

    def _uses(self, step: dict[str, Any], name: str) -> Step:
        uses = str(step["uses"])
        given = {k: self.interpolate(v) for k, v in (step.get("with") or {}).items()}
        if uses.startswith("./"):
            return self._composite(self.workspace / uses, given, name, step.get("id"))
        action = uses.split("@", 1)[0]
        self.recorded.append((action, given))
        stand_in = self.actions.get(action) or ACTIONS.get(action)
        if stand_in is None:
            raise WorkflowError(f"{name}: no stand-in for the action {action}")
        try:
            outputs = stand_in(self, given)
        except WorkflowError as failed:
            return Step(name, step.get("id"), True, "failure", {}, str(failed))
        return Step(name, step.get("id"), True, "success", outputs)

    def _composite(self, folder: Path, given: dict[str, str], name: str, step_id: str | None) -> Step:
        action = yaml.safe_load((folder / "action.yml").read_text())
        declared = action.get("inputs") or {}
        unknown = set(given) - set(declared)
        if unknown:
            raise WorkflowError(f"{name}: inputs {sorted(unknown)} are not declared by {folder.name}")
        saved = self.inputs
        self.inputs = {k: given.get(k, str(v.get("default", ""))) for k, v in declared.items()}
        try:
            inner = [self._step(s, i, prefix=f"{name} / ") for i, s in enumerate(action["runs"]["steps"])]
        finally:
            self.inputs = saved
        failed = any(s.outcome == "failure" for s in inner)
        return Step(name, step_id, True, "failure" if failed else "success", {}, "\n".join(s.output for s in inner))


# --- stand-ins for external actions: the one thing each does for these workflows ----------------
def _checkout(runner: JobRunner, given: dict[str, str]) -> dict[str, str]:
    return {}  # the workspace is the repository (the ref asked for is recorded for the tests)


def _no_op(runner: JobRunner, given: dict[str, str]) -> dict[str, str]:
    return {}


def _credentials(runner: JobRunner, given: dict[str, str]) -> dict[str, str]:
    role = given.get("role-to-assume", "")
    if not re.fullmatch(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+", role):
        raise WorkflowError(f"configure-aws-credentials: role-to-assume {role!r} is not a role ARN")
    if not given.get("aws-region"):
        raise WorkflowError("configure-aws-credentials: no aws-region")
    runner.job_env.update(
        {
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",  # pragma: allowlist secret
            "AWS_REGION": given["aws-region"],
            "AWS_DEFAULT_REGION": given["aws-region"],
            "IDP_ASSUMED_ROLE": role,
        }
    )
    return {}


def _upload(runner: JobRunner, given: dict[str, str]) -> dict[str, str]:
    source = Path(given["path"]) if Path(given["path"]).is_absolute() else runner.workspace / given["path"]
    target = runner.artifacts / given["name"]
    if target.exists() and given.get("overwrite", "false") != "true":
        raise WorkflowError(f"upload-artifact: an artifact named {given['name']} exists (a re-run needs overwrite)")
    if not source.exists():
        if given.get("if-no-files-found", "warn") == "error":
            raise WorkflowError(f"upload-artifact: nothing at {source}")
        return {}
    if target.exists():  # overwrite: the old artifact is deleted, not merged into
        shutil.rmtree(target)
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
    else:
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / source.name)
    return {}


def _download(runner: JobRunner, given: dict[str, str]) -> dict[str, str]:
    destination = Path(given.get("path") or ".")
    destination = destination if destination.is_absolute() else runner.workspace / destination
    if "name" in given:
        names = [given["name"]]
    else:
        pattern = re.compile(given.get("pattern", "*").replace("*", ".*"))
        names = [p.name for p in sorted(runner.artifacts.iterdir()) if pattern.fullmatch(p.name)]
    if not names or not all((runner.artifacts / n).is_dir() for n in names):
        raise WorkflowError(f"download-artifact: no artifact {given.get('name') or given.get('pattern')}")
    for name in names:
        target = destination if "name" in given or given.get("merge-multiple") == "true" else destination / name
        shutil.copytree(runner.artifacts / name, target, dirs_exist_ok=True)
    return {}


def _build_push(runner: JobRunner, given: dict[str, str]) -> dict[str, str]:
    """docker/build-push-action without a Docker engine: the inputs must name real files; the digest
    is derived from what would be built (the Dockerfile, the build args, the tags)."""
    context = runner.workspace / given.get("context", ".")
    dockerfile = runner.workspace / given["file"]
    if not context.is_dir() or not dockerfile.is_file():
        raise WorkflowError(f"build-push-action: context {context} or file {dockerfile} does not exist")
    if not given.get("tags") or "/" not in given["tags"]:
        raise WorkflowError(f"build-push-action: tags {given.get('tags')!r} name no repository")
    seed = dockerfile.read_bytes() + given.get("build-args", "").encode() + given["tags"].encode()
    return {"digest": "sha256:" + hashlib.sha256(seed).hexdigest()}


def _mise(runner: JobRunner, given: dict[str, str]) -> dict[str, str]:
    """jdx/mise-action without a version installs mise's latest release: a version must be given."""
    if not re.fullmatch(r"\d{4}\.\d{1,2}\.\d+", given.get("version", "")):
        raise WorkflowError(f"mise-action: version {given.get('version')!r} is not a mise release (YYYY.M.P)")
    return {}


def _attest(runner: JobRunner, given: dict[str, str]) -> dict[str, str]:
    """actions/attest-build-provenance by digest: a sha256 digest and the image's repository name."""
    if not re.fullmatch(r"sha256:[0-9a-f]{64}", given.get("subject-digest", "")):
        raise WorkflowError(f"attest: subject-digest {given.get('subject-digest')!r} is not sha256:<hex>")
    if "/" not in given.get("subject-name", "") or "@" in given["subject-name"] or ":" in given["subject-name"]:
        raise WorkflowError(f"attest: subject-name {given.get('subject-name')!r} is not registry/repository")
    return {"attestation-id": "1"}


def _file_input(key: str) -> ActionStandIn:
    """An action that reads a file the job wrote: the file must exist (relative paths: the workspace)."""

    def stand_in(runner: JobRunner, given: dict[str, str]) -> dict[str, str]:
        path = Path(given.get(key, ""))
        path = path if path.is_absolute() else runner.workspace / path
        if not given.get(key) or not path.is_file():
            raise WorkflowError(f"{key}: {path} does not exist")
        return {}

    return stand_in


ACTIONS: dict[str, ActionStandIn] = {
    "peter-evans/create-issue-from-file": _file_input("content-filepath"),
    "aws-actions/amazon-ecr-login": _no_op,
    "docker/setup-qemu-action": _no_op,
    "docker/setup-buildx-action": _no_op,
    "docker/build-push-action": _build_push,
    "actions/attest-build-provenance": _attest,
    "aquasecurity/setup-trivy": _no_op,  # trivy itself is a stand-in on PATH
    "actions/checkout": _checkout,
    "jdx/mise-action": _mise,  # the pinned toolchain is on this machine's PATH already
    "actions/cache": _no_op,
    "aws-actions/configure-aws-credentials": _credentials,
    "actions/upload-artifact": _upload,
    "actions/download-artifact": _download,
    "marocchino/sticky-pull-request-comment": _file_input("path"),
}


def stand_in_path(
    bin_dir: Path, log: Path, script: Path, tools: tuple[str, ...] = ("terragrunt", "aws", "gh", "docker", "trivy")
) -> dict[str, str]:
    """PATH with recording stand-ins for the tools that cannot run here (tests/workflows/stand_in.py):
    trivy scans a pushed image in a registry, which a build without Docker never made."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    stand_in = Path(__file__).with_name("stand_in.py")
    for tool in tools:
        path = bin_dir / tool
        path.write_text(f'#!/usr/bin/env bash\nexec "{sys.executable}" "{stand_in}" {tool} "$@"\n')
        path.chmod(0o755)
    return {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "STAND_IN_LOG": str(log),
        "STAND_IN_SCRIPT": str(script),
    }
