"""Terraform run for real: `validate` with the real provider, the provider range and the lock files.
(The lint gate's terraform-validate check runs validate_all over every module in `make test`.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from idp import lint
from idp.terraform import (
    LOCK_FILE,
    TerraformMissingError,
    lock_file_text,
    module_providers,
    provider_mirror,
    terraform_binary,
    unit_dirs,
    validate_all,
)
from tests.conftest import REPO_ROOT

needs_terraform = pytest.mark.skipif(
    shutil.which("terraform") is None, reason="needs terraform (README: Prerequisites)"
)
needs_mirror = pytest.mark.skipif(
    provider_mirror() is None,
    reason="computing the lock file offline needs the provider mirror (README: Prerequisites)",
)
VERSIONS = (REPO_ROOT / "modules" / "storage" / "versions.tf").read_text()


def a_repo(tmp_path: Path, modules: dict[str, str]) -> Path:
    for name, main in modules.items():
        folder = tmp_path / "modules" / name
        folder.mkdir(parents=True)
        (folder / "main.tf").write_text(main)
        if "integrations/github" not in main:
            (folder / "versions.tf").write_text(VERSIONS)
    return tmp_path


@needs_terraform
def test_validate_fails_a_module_the_tested_provider_cannot_run_and_skips_what_it_cannot_resolve(
    tmp_path: Path,
) -> None:
    root = a_repo(
        tmp_path,
        {
            # what the modules had: a 6.x-only attribute, which the 5.100 provider does not know
            "broken": 'data "aws_region" "current" {}\noutput "r" { value = data.aws_region.current.region }\n',
            "fine": 'data "aws_region" "current" {}\noutput "r" { value = data.aws_region.current.id }\n',
            "github": 'terraform {\n  required_providers {\n    github = { source = "integrations/github" }\n  }\n}\n',
        },
    )
    results = {r.module: r for r in validate_all(root)}
    assert results["fine"].status == "passed"
    assert results["broken"].status == "failed"
    assert "Unsupported attribute" in results["broken"].detail
    assert results["github"].status == "skipped"
    assert "integrations/github" in results["github"].detail
    assert not list((root / "modules").rglob(".terraform*"))  # validated in a copy: the repo stays clean
    outcome = lint.check_terraform_validate(root)
    assert outcome.status is lint.Status.FAILED
    assert "SKIP github: needs integrations/github" in outcome.notes


def test_without_terraform_the_check_is_skipped_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(TerraformMissingError, match="mise install"):
        terraform_binary()
    outcome = lint.check_terraform_validate(REPO_ROOT)
    assert outcome.status is lint.Status.SKIPPED
    assert "terraform not found on PATH" in outcome.detail


def test_every_aws_module_allows_the_tested_provider_and_6x() -> None:
    for versions in sorted((REPO_ROOT / "modules").glob("*/versions.tf")):
        if "hashicorp/aws" in module_providers(versions.parent):
            assert 'version = ">= 5.100, < 7.0"' in versions.read_text(), versions


def test_nothing_uses_what_5x_lacks_or_6x_removed() -> None:
    """The 6.x-only attribute that broke validate, and the 6.0 removals this stack could touch."""
    forbidden = {
        "data.aws_region.current.region": "6.x only: use .id (5.x and 6.x)",
        "data.aws_region.current.name": "deprecated in 6.x: use .id",
        "aws_bedrockdataautomation_": "not in 5.100: the project belongs to `idp configs publish`",
        '"hashicorp/random"': "a provider CI would install that no test runs: aws_secretsmanager_random_password",
    }
    found = [
        f"{tf.relative_to(REPO_ROOT)}: {text} ({why})"
        for tf in sorted((REPO_ROOT / "modules").rglob("*.tf"))
        for text, why in forbidden.items()
        if text in tf.read_text()
    ]
    assert found == []


@needs_mirror
def test_every_unit_locks_the_provider_build_the_tests_run() -> None:
    text = lock_file_text()
    mirror = provider_mirror()
    assert mirror is not None
    mirrored = sorted(p.name for p in (mirror / "registry.terraform.io/hashicorp/aws").iterdir())[-1]
    assert f'version     = "{mirrored}"' in text
    units = unit_dirs()
    assert len(units) >= 3 * 8 + 6  # every env's units and bootstraps
    stale = [str(u.relative_to(REPO_ROOT)) for u in units if (u / LOCK_FILE).read_text() != text]
    assert stale == [], "run `idp tf lock`"
