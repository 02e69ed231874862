"""Terraform run for real: the CLI configuration that finds the provider, and `validate` of every module.

Providers come from a filesystem mirror where one is installed (offline machines: the hashicorp/aws
build the tests run), otherwise from the registry (GitHub Actions). A module that needs a provider
that cannot be resolved here is reported as skipped with the reason, never passed silently.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from idp.hcl import blocks, load
from idp.paths import REPO_ROOT

AWS_PROVIDER = "registry.terraform.io/hashicorp/aws"
# Where Terraform's own docs put implied local mirrors, plus where these machines install one.
MIRROR_CANDIDATES = (
    "/opt/tf-plugins",
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
)
WORK_DIR = REPO_ROOT / ".tools" / "terraform"


class TerraformMissingError(RuntimeError):
    """No terraform binary: say what is missing and how to get it."""


class TerraformError(RuntimeError):
    """A terraform command failed: its own error output is the message."""

    def __init__(self, command: str, code: int, output: str) -> None:
        super().__init__(f"terraform {command} failed (exit {code}):\n{output[-6000:]}")
        lines = output.splitlines()
        start = next((i for i, line in enumerate(lines) if line.lstrip("│ ").startswith("Error:")), len(lines))
        self.errors = "\n".join(lines[start:]).strip()  # Terraform's own error blocks
        first = next((line.lstrip("│ ") for line in lines[start:] if line.strip("│ ")), "see its output above")
        self.summary = f"terraform {command} failed (exit {code}): {first}"


def terraform_binary() -> str:
    found = shutil.which("terraform")
    if found is None:
        raise TerraformMissingError(
            "terraform not found on PATH: install the version pinned in .mise.toml (`mise install`) "
            "or any terraform >= 1.11"
        )
    return found


def provider_mirror() -> Path | None:
    """The first filesystem mirror that holds a hashicorp/aws build (IDP_TF_PROVIDER_MIRROR first)."""
    candidates = [os.environ.get("IDP_TF_PROVIDER_MIRROR", ""), *MIRROR_CANDIDATES]
    for raw in filter(None, candidates):
        root = Path(raw).expanduser()
        if any(root.glob(f"{AWS_PROVIDER}/*/*/terraform-provider-aws_*")):
            return root
    return None


def mirrored_providers(mirror: Path | None) -> set[str]:
    if mirror is None:
        return set()
    return {f"{p.parent.name}/{p.name}" for p in mirror.glob("registry.terraform.io/*/*") if p.is_dir()}


def cli_config(work_dir: Path = WORK_DIR) -> Path:
    """A CLI configuration: mirrored providers from the mirror only, everything else from the registry."""
    work_dir.mkdir(parents=True, exist_ok=True)
    mirror = provider_mirror()
    lines = []
    if mirror is None:  # registry downloads are worth caching; an unpacked mirror is linked, not copied
        cache = work_dir / "plugin-cache"
        cache.mkdir(exist_ok=True)
        lines.append(f'plugin_cache_dir = "{cache}"')
    else:
        include = ", ".join(f'"registry.terraform.io/{p}"' for p in sorted(mirrored_providers(mirror)))
        lines += [
            "provider_installation {",
            f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = [{include}]\n  }}',
            f"  direct {{\n    exclude = [{include}]\n  }}",
            "}",
        ]
    path = work_dir / "cli.tfrc"
    text = "\n".join(lines) + "\n"
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)
    return path


def terraform_env(work_dir: Path = WORK_DIR) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    return env | {
        "TF_CLI_CONFIG_FILE": str(cli_config(work_dir)),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
    }


def module_providers(module: Path) -> set[str]:
    """`namespace/type` of every provider the module requires (versions.tf)."""
    found: set[str] = set()
    for tf in module.glob("*.tf"):
        for block in load(tf).get("terraform", []):
            for required in block.get("required_providers", []):
                found |= {str(spec["source"]).lower() for spec in required.values() if isinstance(spec, dict)}
    return found


@dataclass(frozen=True)
class Validation:
    module: str
    status: str  # passed | failed | skipped
    detail: str = ""


def _unresolvable(module: Path, mirror: Path | None) -> set[str]:
    if mirror is None:
        return set()  # the registry resolves everything (GitHub Actions); a failure there is a failure
    return module_providers(module) - mirrored_providers(mirror)


def validate_module(module: Path, copy_root: Path, env: dict[str, str], mirror: Path | None) -> Validation:
    missing = _unresolvable(module, mirror)
    if missing:
        return Validation(
            module.name,
            "skipped",
            f"needs {', '.join(sorted(missing))}: not in the provider mirror at {mirror} (the registry "
            "resolves it where there is network, e.g. GitHub Actions)",
        )
    work = copy_root / module.name
    if "hashicorp/aws" in module_providers(module):
        seed_lock_file(work)
    binary = terraform_binary()
    for argv in (["init", "-backend=false", "-no-color"], ["validate", "-no-color"]):
        proc = subprocess.run([binary, *argv], cwd=work, env=env, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            error = re.sub(r"\n{3,}", "\n\n", (proc.stderr or proc.stdout).strip())
            return Validation(module.name, "failed", f"terraform {argv[0]}:\n{error}")
    return Validation(module.name, "passed")


def validate_all(root: Path = REPO_ROOT, *, workers: int = 2) -> list[Validation]:
    """`terraform init -backend=false && terraform validate` in a copy of every module (the repo stays clean)."""
    modules_dir = root / "modules"
    modules = sorted(p for p in modules_dir.iterdir() if p.is_dir() and any(p.glob("*.tf")))
    env = terraform_env()
    mirror = provider_mirror()
    with tempfile.TemporaryDirectory(prefix="idp-validate-") as tmp:
        copy_root = Path(tmp) / "modules"
        shutil.copytree(modules_dir, copy_root, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda m: validate_module(m, copy_root, env, mirror), modules))


def variables_of(module: Path) -> set[str]:
    return set(blocks(load(module / "variables.tf"), "variable")) if (module / "variables.tf").is_file() else set()


LOCK_FILE = ".terraform.lock.hcl"


def seed_lock_file(work_dir: Path) -> None:
    """Start from the committed lock file: init installs the pinned build (mirror or registry), not the newest."""
    pinned = REPO_ROOT / "live" / "dev" / "eu-west-1" / "storage" / LOCK_FILE
    if pinned.is_file():
        shutil.copy(pinned, work_dir / LOCK_FILE)


def unit_dirs(root: Path = REPO_ROOT) -> list[Path]:
    """Every Terragrunt unit that deploys an AWS-only module (the lock file lives beside its terragrunt.hcl)."""
    units = []
    for config in sorted((root / "live").glob("*/**/terragrunt.hcl")):
        if config.parent.name.startswith("_") or "/_units/" in str(config):
            continue
        units.append(config.parent)
    return units


def lock_file_text(work_dir: Path = WORK_DIR) -> str:
    """The lock file pinning the hashicorp/aws build the tests run (the mirror's), for linux_amd64 runners."""
    mirror = provider_mirror()
    if mirror is None:
        raise TerraformMissingError("no hashicorp/aws provider mirror found: `idp tf lock` pins the mirrored build")
    versions = sorted(p.name for p in (mirror / AWS_PROVIDER).iterdir() if p.is_dir())
    with tempfile.TemporaryDirectory(prefix="idp-lock-") as tmp:
        shutil.copy(REPO_ROOT / "modules" / "storage" / "versions.tf", tmp)
        proc = subprocess.run(
            [terraform_binary(), "providers", "lock", f"-fs-mirror={mirror}", "-platform=linux_amd64"],
            cwd=tmp,
            env=terraform_env(work_dir),
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"terraform providers lock failed: {proc.stderr.strip()}")
        text = (Path(tmp) / LOCK_FILE).read_text()
    if f'version     = "{versions[-1]}"' not in text:
        raise RuntimeError(f"the lock file does not pin the mirrored build {versions[-1]}")
    return text
