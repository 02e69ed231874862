"""README.md for every Terraform module: its purpose (main.tf's leading comment) and tables of
inputs and outputs read from variables.tf/outputs.tf. `idp module-docs` writes them; a test fails
when one drifts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from idp.hcl import blocks, load
from idp.paths import REPO_ROOT

MODULES = REPO_ROOT / "modules"


def _blocks(path: Path, kind: str) -> dict[str, dict[str, Any]]:
    return blocks(load(path), kind) if path.is_file() else {}


def _purpose(main: Path) -> str:
    lines = []
    for line in main.read_text().splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# ").rstrip())
    return " ".join(lines).strip()


def _expression(value: str) -> str:
    """python-hcl2 wraps expressions as "${...}"; a type or a reference reads as written in the .tf."""
    return value[2:-1] if value.startswith("${") and value.endswith("}") else value


def hcl_literal(value: Any) -> str:
    """A default as it would be written in HCL (true, null, "text", ["a"], { k = 1 }), not as Python's repr."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        inner = _expression(value)
        return inner if inner != value else json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(hcl_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {hcl_literal(v)}" for k, v in value.items()) + " }" if value else "{}"
    return str(value)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render(module: Path) -> str:
    variables = _blocks(module / "variables.tf", "variable")
    outputs = _blocks(module / "outputs.tf", "output")
    lines = [f"# `{module.name}` module", "", _purpose(module / "main.tf") or "(no description)", ""]
    lines += ["## Inputs", "", "| name | type | default | description |", "|---|---|---|---|"]
    for name, body in variables.items():
        default = f"`{_cell(hcl_literal(body['default']))}`" if "default" in body else "**required**"
        kind = _cell(_expression(str(body.get("type", "any"))))
        lines.append(f"| `{name}` | `{kind}` | {default} | {_cell(str(body.get('description', '')))} |")
    lines += ["", "## Outputs", "", "| name | description |", "|---|---|"]
    for name, body in outputs.items():
        lines.append(f"| `{name}` | {_cell(str(body.get('description', '')))} |")
    return "\n".join(lines) + "\n"


def modules() -> list[Path]:
    return sorted(p for p in MODULES.iterdir() if (p / "main.tf").is_file())


def write_all() -> list[Path]:
    written = []
    for module in modules():
        (module / "README.md").write_text(render(module))
        written.append(module / "README.md")
    return written
