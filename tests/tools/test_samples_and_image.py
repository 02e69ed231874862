"""Shipped samples are exactly what the generator makes; the Dockerfile builds every function."""

from __future__ import annotations

import json
import re
from pathlib import Path

from dockerfile_parse import DockerfileParser

from idp.local.samples import SAMPLES, generate
from idp.naming import FUNCTIONS
from tests.conftest import REPO_ROOT


def test_committed_samples_match_the_generator(tmp_path: Path) -> None:
    written = generate(tmp_path)
    for path in written:
        committed = REPO_ROOT / "samples" / path.relative_to(tmp_path)
        assert committed.read_bytes() == path.read_bytes(), f"{committed} is stale: run `uv run idp samples generate`"


def test_samples_are_valid_pdfs_or_deliberately_corrupt() -> None:
    manifest = json.loads((REPO_ROOT / "samples" / "manifest.json").read_text())
    assert {m["name"] for m in manifest} == {s.name for s in SAMPLES}
    for sample in SAMPLES:
        data = (REPO_ROOT / "samples" / "documents" / sample.filename).read_bytes()
        assert data.startswith(b"%PDF-1.4")
        assert data.rstrip().endswith(b"%%EOF") is not sample.corrupt


def parsed() -> DockerfileParser:
    return DockerfileParser(path=str(REPO_ROOT / "lambdas" / "Dockerfile"))


def test_dockerfile_structure() -> None:
    df = parsed()
    froms = [i["value"] for i in df.structure if i["instruction"] == "FROM"]
    # One literal base reference (what Dependabot reads and bumps), every stage built from it.
    assert froms[1:] == ["base AS dependencies", "base"]
    base, alias = froms[0].split(" AS ")
    assert alias == "base"
    assert "$" not in base, "Dependabot cannot follow a variable in FROM: write the image literally"
    image, tag = base.rsplit(":", 1)
    assert image == "public.ecr.aws/lambda/python"
    assert re.fullmatch(r"3\.12\.\d{4}\.\d{2}\.\d{2}\.\d+", tag), "pin the base image to a dated release tag"


def test_every_function_builds_and_its_cmd_resolves() -> None:
    df = parsed()
    copies = [i["value"] for i in df.structure if i["instruction"] == "COPY"]
    assert "lambdas/${FUNCTION} ${LAMBDA_TASK_ROOT}/function" in copies
    assert "lambdas/idp_common ${LAMBDA_TASK_ROOT}/idp_common" in copies
    cmd = json.loads(next(i["value"] for i in df.structure if i["instruction"] == "CMD"))
    module, attribute = cmd[0].rsplit(".", 1)
    assert module == "function.app"
    for function in FUNCTIONS:
        source = (REPO_ROOT / "lambdas" / function / "app.py").read_text()
        assert f"def {attribute}(" in source, f"{function}/app.py has no `{attribute}`"
        assert f"import {function}" not in source, "code in the image lives at `function/`, not under its folder name"


def test_docker_context_keeps_only_what_the_image_needs() -> None:
    lines = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    assert lines[lines.index("*")] == "*"
    assert {"!pyproject.toml", "!uv.lock", "!lambdas/"} <= set(lines)


def test_image_ships_bytecode_for_every_python_file_it_runs() -> None:
    """Lambda's file system is read-only and the image sets PYTHONDONTWRITEBYTECODE: whatever is not
    compiled at build is compiled again on every cold start."""
    df = parsed()
    runs = [i["value"] for i in df.structure if i["instruction"] == "RUN"]
    compiled = " ".join(r for r in runs if "compileall" in r)
    assert "--invalidation-mode unchecked-hash" in compiled, "bytecode must not depend on layer mtimes"
    for target in ("/opt/dependencies", "${LAMBDA_TASK_ROOT}/idp_common", "${LAMBDA_TASK_ROOT}/function"):
        assert target in compiled, f"{target} is not compiled at build"
    assert df.envs["PYTHONDONTWRITEBYTECODE"] == "1"
