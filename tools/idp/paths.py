"""Where the repository and its own tool folders are, independent of the current directory."""

from __future__ import annotations

from pathlib import Path

# tools/idp/paths.py -> repository root (the `idp` command is run from a checkout of this repo).
REPO_ROOT = Path(__file__).resolve().parents[2]
NODE_TOOLS = REPO_ROOT / "tools" / "node"
CHECKOV_ENV = REPO_ROOT / "tools" / "envs" / "checkov" / ".venv"

# Folders no check ever looks into: environments, caches and vendored packages.
IGNORED_DIRS = frozenset(
    {
        ".git",
        ".venv",
        ".tools",
        "node_modules",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".hypothesis",
        ".terraform",
        ".terragrunt-cache",
        "envs",
        "htmlcov",
        ".idp",
    }
)


def walk_files(root: Path, *, under: str = ".") -> list[Path]:
    """Every file below root/under, sorted, skipping IGNORED_DIRS."""
    base = root / under
    if not base.is_dir():
        return []
    found: list[Path] = []
    stack = [base]
    while stack:
        folder = stack.pop()
        for entry in folder.iterdir():
            if entry.is_dir():
                if entry.name not in IGNORED_DIRS:
                    stack.append(entry)
            elif entry.is_file():
                found.append(entry)
    return sorted(found)


def stack_region_files(env_dir: Path) -> list[Path]:
    """live/<env>/<region>/region.hcl of the stack's regions (not _bootstrap/region.hcl, the state's)."""
    return [p for p in sorted(env_dir.glob("*/region.hcl")) if not p.parent.name.startswith("_")]
