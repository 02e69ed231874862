"""A Terragrunt configuration's locals and inputs, evaluated by terraform (no terragrunt binary here).

The configuration becomes a Terraform root whose locals are the file's locals and whose outputs are
its locals and inputs. Terragrunt's functions the env list relies on are rewritten to what they return:
`read_terragrunt_config("${get_repo_root()}/<path>")` -> the locals of that file of the tree (the path
may be interpolated, e.g. live/${env.name}/account.hcl: every locals-only .hcl of live/ is provided, so
terraform resolves the interpolation itself). Anything else Terragrunt-only fails loudly.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

from idp.hcl import merged_locals, read
from idp.terraform import terraform_binary, terraform_env

_READ = re.compile(r'read_terragrunt_config\("\$\{get_repo_root\(\)\}/([^"]+)"\)')
_TERRAGRUNT_ONLY = ("get_repo_root(", "read_terragrunt_config(", "find_in_parent_folders(", "get_env(", "dependency.")


def _translate(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _translate(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_translate(v) for v in value]
    if not isinstance(value, str):
        return value
    text = _READ.sub(lambda m: f'local.tg_files["{m.group(1)}"]', value)
    leftover = [token for token in _TERRAGRUNT_ONLY if token in text]
    if leftover:
        raise ValueError(f"cannot evaluate {leftover[0]!r} in {value!r}")
    return text


def evaluate(config: Path, root: Path, work: Path) -> dict[str, Any]:
    """{"locals": ..., "inputs": ...} of `config` in the tree at `root`, computed by terraform in `work`."""
    doc = read(config)
    files = {
        path.relative_to(root).as_posix(): {"locals": merged_locals(read(path))}
        for path in sorted((root / "live").rglob("*.hcl"))
        if path.name != "terragrunt.hcl" and "_units" not in path.parts
    }
    own = {k: _translate(v) for k, v in merged_locals(doc).items()}
    inputs = doc.get("inputs") or {}
    inputs = _translate(inputs[0] if isinstance(inputs, list) else inputs)
    root_module = {
        "locals": {**own, "tg_files": files},
        "output": {"locals": {"value": {k: f"${{local.{k}}}" for k in own}}, "inputs": {"value": inputs}},
    }
    work.mkdir(parents=True, exist_ok=True)
    (work / "main.tf.json").write_text(json.dumps(root_module, indent=2))
    env = terraform_env(work)
    binary = terraform_binary()
    for argv in (["init", "-input=false", "-no-color"], ["apply", "-auto-approve", "-input=false", "-no-color"]):
        done = subprocess.run([binary, *argv], cwd=work, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise AssertionError(f"terraform {argv[0]} of {config}:\n{done.stdout}\n{done.stderr}")
    out = subprocess.run(
        [binary, "output", "-json"], cwd=work, env=env, capture_output=True, text=True, check=True
    ).stdout
    return {name: body["value"] for name, body in json.loads(out).items()}
