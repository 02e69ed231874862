"""The whole stack as one Terraform root, generated from live/_units: what the local run applies.

Each unit of `live/_units/` becomes a `module` block with the unit's own inputs, so the embedded AWS
gets what Terragrunt deploys, wired the same way - the units are the only description of the wiring.
The translation is textual and small (every rule below); what it cannot translate fails loudly:
- `dependency.<d>.outputs.<o>` -> `module.<unit of d>.<o>`;
- `read_terragrunt_config(find_in_parent_folders("env.hcl"|"region.hcl"|"account.hcl")).locals` and
  `read_terragrunt_config("${get_repo_root()}/live/<any env, named or interpolated>/account.hcl").locals`
  -> the env's values (one embedded account stands in for every account);
- `read_terragrunt_config("${get_repo_root()}/live/environments.hcl").locals` -> that file's locals;
- a unit's other locals -> `local.<unit>__<name>`;
- `get_env("IDP_IMAGE_DIGESTS", "{}")` -> a variable (the local image digests);
- the root `terragrunt.hcl` inputs (`project`, `environment`) for the modules that declare them.
The provider is this file's own: every endpoint at the embedded AWS, fake credentials, the same
default tags as the root `terragrunt.hcl`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from idp.hcl import load, merged_locals
from idp.local.aws_server import LOCAL_KEY_ID, LOCAL_SECRET
from idp.naming import FUNCTIONS
from idp.paths import REPO_ROOT, stack_region_files
from idp.terraform import variables_of

UNITS_DIR = REPO_ROOT / "live" / "_units"
PROJECT = "idp"
# The units of one env, in the order their folders appear in live/<env>/<region>/ and _bootstrap/.
STACK_UNITS = ("security", "storage", "messaging", "ecr", "compute", "orchestration", "api", "monitoring")
BOOTSTRAP_UNITS = ("state-backend", "github-oidc")
# Terraform provider `endpoints` keys of every service the modules manage or read.
SERVICES = (
    "apigateway", "budgets", "cloudwatch", "cloudwatchlogs", "dynamodb", "ecr", "events", "iam", "kms", "lambda",
    "s3", "scheduler", "secretsmanager", "sfn", "sns", "sqs", "ssm", "sts", "wafv2",
)  # fmt: skip
LOCAL_DIGEST = "sha256:" + "0" * 64  # images are not pulled locally: the handlers run in-process
_READ_ENV_FILE = re.compile(r'read_terragrunt_config\(find_in_parent_folders\("(env|region|account)\.hcl"\)\)\.locals')
_READ_ACCOUNT = re.compile(
    r'read_terragrunt_config\("\$\{get_repo_root\(\)\}/live/([a-z0-9-]+|\$\{[^}]+\})/account\.hcl"\)\.locals'
)
_READ_LIST = 'read_terragrunt_config("${get_repo_root()}/live/environments.hcl").locals'
_DEPENDENCY = re.compile(r"\bdependency\.([A-Za-z0-9_]+)\.outputs\.")
_LOCAL = re.compile(r"\blocal\.([A-Za-z0-9_]+)")
_UNTRANSLATED = ("get_env(", "get_repo_root(", "find_in_parent_folders(", "read_terragrunt_config(", "dependency.")


class CompositionError(ValueError):
    """A unit uses something the translation does not know: extend the rules, do not work around them."""


@dataclass(frozen=True)
class LocalAccount:
    account_id: str
    region: str
    environment: str = "local"


def module_name(unit: str) -> str:
    return unit.replace("-", "_")


def _translate(value: Any, unit: str, dependencies: dict[str, str], unit_locals: set[str]) -> Any:
    if isinstance(value, dict):
        return {k: _translate(v, unit, dependencies, unit_locals) for k, v in value.items()}
    if isinstance(value, list):
        return [_translate(v, unit, dependencies, unit_locals) for v in value]
    if not isinstance(value, str):
        return value
    text = _READ_ENV_FILE.sub(lambda m: f"local.{m.group(1)}", value)
    text = _READ_ACCOUNT.sub("local.account", text)
    text = text.replace(_READ_LIST, "local.environments_file")
    text = text.replace('get_env("IDP_IMAGE_DIGESTS", "{}")', "var.image_digests_json")

    def dependency(match: re.Match[str]) -> str:
        label = match.group(1)
        if label not in dependencies:
            raise CompositionError(f"{unit}: dependency.{label} is not declared")
        return f"module.{module_name(dependencies[label])}."

    text = _DEPENDENCY.sub(dependency, text)
    prefix = module_name(unit)
    text = _LOCAL.sub(lambda m: f"local.{prefix}__{m.group(1)}" if m.group(1) in unit_locals else m.group(0), text)
    leftover = [token for token in _UNTRANSLATED if token in text]
    if leftover:
        raise CompositionError(f"{unit}: cannot translate {leftover[0]!r} in {value!r}")
    return text


def module_folder(unit: str) -> Path:
    """The module a unit deploys (its `terraform.source`, `${get_repo_root()}/modules//<name>`)."""
    source = str(load(UNITS_DIR / f"{unit}.hcl")["terraform"][0]["source"])
    return REPO_ROOT / "modules" / source.rsplit("//", 1)[-1]


def _unit(unit: str, base_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(module block, unit-prefixed locals) of one unit definition."""
    doc = load(UNITS_DIR / f"{unit}.hcl")
    folder = module_folder(unit)
    dependencies = {
        label: Path(body["config_path"]).name for entry in doc.get("dependency", []) for label, body in entry.items()
    }
    shared = {"env", "region", "account"}
    own = {k: v for k, v in merged_locals(doc).items() if k not in shared}
    locals_out = {f"{module_name(unit)}__{k}": _translate(v, unit, dependencies, set(own)) for k, v in own.items()}
    inputs = {k: _translate(v, unit, dependencies, set(own)) for k, v in (doc.get("inputs") or {}).items()}
    declared = variables_of(folder)
    for name, value in (("project", PROJECT), ("environment", "${local.account.environment}")):
        if name in declared:
            inputs.setdefault(name, value)
    # Terraform takes local module sources only as ./ or ../ paths.
    block = {"source": os.path.relpath(folder, base_dir), **inputs}
    return block, locals_out


def _env_values(env: str, account: LocalAccount) -> dict[str, Any]:
    base = REPO_ROOT / "live" / env
    region_file = stack_region_files(base)[0]
    account_values = merged_locals(load(base / "account.hcl")) | {
        "account_id": account.account_id,
        "environment": account.environment,
        "state_bucket": f"{PROJECT}-terraform-state-{account.account_id}",
        "state_region": account.region,
    }
    return {
        "env": merged_locals(load(base / "env.hcl")),
        "region": merged_locals(load(region_file)) | {"aws_region": account.region},
        "account": account_values,
    }


def provider(endpoint: str, account: LocalAccount) -> dict[str, Any]:
    return {
        "aws": {
            "region": account.region,
            "access_key": LOCAL_KEY_ID,
            "secret_key": LOCAL_SECRET,
            "skip_credentials_validation": True,
            "skip_requesting_account_id": True,
            "skip_metadata_api_check": True,
            "skip_region_validation": True,
            "s3_use_path_style": True,
            "endpoints": [dict.fromkeys(SERVICES, endpoint)],
            "default_tags": [
                {
                    "tags": {
                        "Project": PROJECT,
                        "Environment": "${local.account.environment}",
                        "ManagedBy": "Terraform",
                        "CostCenter": "${local.account.cost_center}",
                        "Owner": "${local.account.owner}",
                        "Repository": "${local.account.repository}",
                    }
                }
            ],
        }
    }


def compose(
    endpoint: str,
    account: LocalAccount,
    base_dir: Path,
    *,
    env: str = "dev",
    units: tuple[str, ...] = BOOTSTRAP_UNITS + STACK_UNITS,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The Terraform JSON configuration of the stack: env `env`'s values, one embedded account.
    overrides: unit -> {module variable: value}, e.g. the local run's short timings; only variables the
    unit's module declares (anything else is a CompositionError, never silently dropped)."""
    locals_block: dict[str, Any] = dict(_env_values(env, account))
    locals_block["environments_file"] = merged_locals(load(REPO_ROOT / "live" / "environments.hcl"))
    modules: dict[str, Any] = {}
    for unit in units:
        block, unit_locals = _unit(unit, base_dir)
        given = dict((overrides or {}).get(unit, {}))
        unknown = sorted(set(given) - variables_of(module_folder(unit)))
        if unknown:
            raise CompositionError(
                f"{unit}: override of {unknown}, which modules/{module_folder(unit).name} does not declare"
            )
        modules[module_name(unit)] = block | given
        locals_block.update(unit_locals)
    unknown_units = sorted(set(overrides or {}) - set(units))
    if unknown_units:
        raise CompositionError(f"overrides for units that are not composed: {unknown_units}")
    outputs = {
        f"{module_name(unit)}__{name}": {"value": f"${{module.{module_name(unit)}.{name}}}"}
        for unit in units
        for name in _outputs_of(unit)
    }
    return {
        "terraform": {"required_version": ">= 1.11"},
        "provider": provider(endpoint, account),
        "variable": {
            "image_digests_json": {"type": "string", "default": json.dumps(dict.fromkeys(FUNCTIONS, LOCAL_DIGEST))}
        },
        "locals": locals_block,
        "module": modules,
        "output": outputs,
    }


def _outputs_of(unit: str) -> list[str]:
    outputs_tf = module_folder(unit) / "outputs.tf"
    if not outputs_tf.is_file():
        return []
    return sorted(name for entry in load(outputs_tf).get("output", []) for name in entry)


def write(directory: Path, endpoint: str, account: LocalAccount, **kwargs: Any) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "main.tf.json"
    text = json.dumps(compose(endpoint, account, directory, **kwargs), indent=2, sort_keys=True) + "\n"
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)
    return path
