"""modules/ and live/ proven without a terraform binary: parse, wire, mock, graph, secrets."""

from __future__ import annotations

import re
from pathlib import Path

import hcl2
import pytest

from idp.hcl import merged_locals
from tests.infra.hcl_model import (
    DEP_REF,
    ENVS,
    LIVE,
    MODULES,
    REPO_ROOT,
    Unit,
    load,
    module,
    module_names,
    root_inputs,
    units,
)

ALL_UNITS = [unit for env in ENVS for unit in units(env)]
IDS = [f"{u.env}/{u.path.relative_to(LIVE / u.env)}" for u in ALL_UNITS]
HCL_FILES = sorted([*MODULES.rglob("*.tf"), *LIVE.rglob("*.hcl"), REPO_ROOT / "terragrunt.hcl"], key=str)


@pytest.mark.parametrize("path", HCL_FILES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_file_parses(path: Path) -> None:
    with path.open() as handle:
        hcl2.load(handle)


def test_every_module_is_complete() -> None:
    for name in module_names():
        folder = MODULES / name
        for required in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
            assert (folder / required).is_file(), f"modules/{name}/{required} is missing"
        mod = module(name)
        for var, body in mod.variables.items():
            assert body.get("description"), f"modules/{name}: variable {var} has no description"
            assert body.get("type"), f"modules/{name}: variable {var} has no type"


@pytest.mark.parametrize("unit", ALL_UNITS, ids=IDS)
def test_unit_inputs_match_module_variables(unit: Unit) -> None:
    mod = module(unit.module_name)
    unknown = set(unit.inputs) - set(mod.variables)
    assert not unknown, f"{unit.path}: inputs {sorted(unknown)} are not variables of modules/{mod.name}"
    missing = mod.required - set(unit.inputs) - root_inputs()
    assert not missing, f"{unit.path}: modules/{mod.name} variables {sorted(missing)} have no default and no input"


@pytest.mark.parametrize("unit", ALL_UNITS, ids=IDS)
def test_dependency_outputs_exist_and_are_mocked(unit: Unit) -> None:
    text = (unit.path / "terragrunt.hcl").read_text()
    shared = re.search(r"live/_units/([a-z0-9-]+)\.hcl", text)
    if shared:
        text += (LIVE / "_units" / f"{shared.group(1)}.hcl").read_text()
    deps = unit.dependencies
    for dep, output in set(DEP_REF.findall(text)):
        assert dep in deps, f"{unit.path}: dependency.{dep} is used but not declared"
        target = unit.dependency_unit(dep)
        assert (target / "terragrunt.hcl").is_file(), f"{unit.path}: dependency {dep} -> {target} is not a unit"
        target_module = module(next(u for u in units(unit.env) if u.path == target).module_name)
        assert output in target_module.outputs, (
            f"{unit.path}: {dep}.outputs.{output} is not an output of modules/{target_module.name}"
        )
        assert output in deps[dep].get("mock_outputs", {}), f"{unit.path}: {dep}.outputs.{output} has no mock"
    for dep, body in deps.items():
        assert body.get("mock_outputs_allowed_terraform_commands") == ["validate", "plan"], (
            f"{unit.path}: dependency {dep} mocks must be restricted to validate and plan"
        )


def graph(env: str) -> dict[str, set[str]]:
    root = LIVE / env
    return {
        str(u.path.relative_to(root)): {str(u.dependency_unit(d).relative_to(root)) for d in u.dependencies}
        for u in units(env)
    }


def test_unit_graph_is_acyclic_and_identical_across_envs() -> None:
    graphs = {env: graph(env) for env in ENVS}
    assert graphs["dev"] == graphs["test"] == graphs["prod"]
    seen: dict[str, int] = {}

    def visit(node: str, edges: dict[str, set[str]]) -> None:
        state = seen.get(node, 0)
        assert state != 1, f"dependency cycle through {node}"
        if state == 2:
            return
        seen[node] = 1
        for nxt in edges.get(node, set()):
            visit(nxt, edges)
        seen[node] = 2

    for node in graphs["dev"]:
        visit(node, graphs["dev"])
    assert "eu-west-1/compute" in graphs["dev"]
    assert graphs["dev"]["eu-west-1/monitoring"] >= {"eu-west-1/compute", "eu-west-1/orchestration", "eu-west-1/api"}


def test_account_ids_live_only_in_account_hcl() -> None:
    pattern = re.compile(r"(?<![0-9A-Za-z])[0-9]{12}(?![0-9A-Za-z])")
    scanned = [
        *MODULES.rglob("*.tf"),
        *LIVE.rglob("*.hcl"),
        REPO_ROOT / "terragrunt.hcl",
        *(REPO_ROOT / ".github").rglob("*.y*ml"),
    ]
    offenders = [
        f"{p.relative_to(REPO_ROOT)}: {m}"
        for p in scanned
        if p.name != "account.hcl"
        for m in pattern.findall(p.read_text())
    ]
    assert offenders == []


def test_env_folders_carry_values_not_logic() -> None:
    """Every env's unit files are the same two includes; only account/env/region files differ."""
    for unit in ALL_UNITS:
        text = (unit.path / "terragrunt.hcl").read_text()
        twin = (LIVE / "dev" / unit.path.relative_to(LIVE / unit.env) / "terragrunt.hcl").read_text()
        assert text == twin, f"{unit.path} differs from its dev twin: put values in env.hcl"


def test_prod_differs_where_it_should() -> None:
    envs = {env: load(LIVE / env / "env.hcl")["locals"][0] for env in ENVS}
    assert envs["prod"]["deletion_protection"] is True
    assert envs["prod"]["point_in_time_recovery"] is True
    assert envs["prod"]["force_destroy_buckets"] is False
    assert envs["prod"]["log_retention_days"] > envs["dev"]["log_retention_days"] == 7
    assert envs["prod"]["oncall_topic_name"] is not None
    assert envs["dev"]["oncall_topic_name"] is None


def test_root_config_backend_provider_and_tags() -> None:
    root = load(REPO_ROOT / "terragrunt.hcl")
    state = root["remote_state"][0]
    assert state["backend"] == "s3"
    assert state["config"]["use_lockfile"] is True
    assert state["config"]["encrypt"] is True
    alias = next(r for r in load(REPO_ROOT / "modules/state-backend/main.tf")["resource"] if "aws_kms_alias" in r)
    state_alias = alias["aws_kms_alias"]["state"]["name"]
    assert state["config"]["kms_key_id"].endswith(f":{state_alias}")  # the state key, not AES256
    assert state["config"]["key"] == "${path_relative_to_include()}/terraform.tfstate"
    provider = (REPO_ROOT / "terragrunt.hcl").read_text()
    assert "allowed_account_ids" in provider
    for tag in ("Project", "Environment", "ManagedBy", "CostCenter", "Owner"):
        assert re.search(rf"^\s+{tag}\s+=", provider, re.MULTILINE), f"default_tags lacks {tag}"


def test_no_module_configures_its_own_aws_provider() -> None:
    """A provider block inside a module would drop the root's default_tags (every resource's tags)."""
    for name in module_names():
        for tf in (MODULES / name).glob("*.tf"):
            assert "provider" not in load(tf), f"modules/{name}/{tf.name} declares a provider"


BUCKET_CONFIG = (
    "aws_s3_bucket_versioning.this",
    "aws_s3_bucket_server_side_encryption_configuration.this",
    "aws_s3_bucket_public_access_block.this",
    "aws_s3_bucket_lifecycle_configuration.this",
    "aws_s3_bucket_policy.this",
    "aws_s3_bucket_ownership_controls.this",
)


def test_every_bucket_has_its_configuration() -> None:
    """What checkov cannot follow through for_each (its skips in modules/storage point here)."""
    storage = module("storage")
    for resource in BUCKET_CONFIG:
        body = storage.resources[resource]
        assert body["for_each"] == "${aws_s3_bucket.this}", f"{resource} must cover every bucket"
    sse = storage.resources["aws_s3_bucket_server_side_encryption_configuration.this"]
    assert "aws:kms" in str(sse)
    policy = (MODULES / "storage" / "main.tf").read_text()
    assert '"aws:SecureTransport"' in policy


def test_module_readmes_are_current() -> None:
    from idp.module_docs import modules, render

    for folder in modules():
        assert (folder / "README.md").read_text() == render(folder), (
            f"{folder.name}/README.md is stale: run `uv run idp module-docs`"
        )


def test_module_docs_write_defaults_and_types_as_hcl() -> None:
    from idp.module_docs import hcl_literal, render

    assert [hcl_literal(v) for v in (True, None, "LIVE", 7, [], {})] == ["true", "null", '"LIVE"', "7", "[]", "{}"]
    assert hcl_literal(["a", {"input": 7}]) == '["a", { input = 7 }]'
    assert hcl_literal("${var.x}") == "var.x"
    compute = render(REPO_ROOT / "modules" / "compute")
    assert "GET /documents/{id}." in compute, "literal braces in descriptions survive"
    assert "reserved_concurrency = number}))`" in compute, "type expressions keep every brace"


def test_apply_role_trusts_only_its_github_environment() -> None:
    oidc = module("github-oidc")
    subjects = oidc.locals["trusted_subjects"]
    assert ":environment:${var.environment}" in subjects
    assert "pull_request" in subjects
    trust = (MODULES / "github-oidc" / "main.tf").read_text()
    assert re.search(r'apply += \["\$\{local.subject\}:environment:\$\{var.environment\}"\]', trust)
    assert re.search(r'plan += \["\$\{local.subject\}:ref:refs/heads/main"\]', trust)  # never a PR's token
    assert "NeverThePipeline" in trust  # no IAM on the plan, apply and push roles, the provider, the boundary


def test_monitoring_alarms_cover_the_required_signals() -> None:
    text = (MODULES / "monitoring" / "main.tf").read_text()
    for metric in ("ApproximateNumberOfMessagesVisible", "ExecutionsFailed", "5XXError", '"Errors"', '"Throttles"'):
        assert metric in text, f"modules/monitoring lost its {metric} alarm"


FIND_IN_PARENTS = re.compile(r'find_in_parent_folders\("([^"]+)"\)')


@pytest.mark.parametrize(
    "unit_config",
    sorted((REPO_ROOT / "live").glob("[!_]*/**/terragrunt.hcl")),
    ids=lambda p: str(p.parent.relative_to(REPO_ROOT)),
)
def test_every_parent_folder_lookup_resolves_from_the_unit(unit_config: Path) -> None:
    """Terragrunt evaluates find_in_parent_folders in an included file from the including unit's folder:
    each file the root config and the unit's definition look up must be above the unit, bootstrap too."""
    text = unit_config.read_text()
    included = [REPO_ROOT / "terragrunt.hcl"] + [
        REPO_ROOT / m for m in re.findall(r"get_repo_root\(\)\}/(live/_units/[\w-]+\.hcl)", text)
    ]
    wanted = {name for path in included for name in FIND_IN_PARENTS.findall(path.read_text())}
    missing = [name for name in sorted(wanted) if not any((p / name).is_file() for p in unit_config.parent.parents)]
    assert missing == [], f"{unit_config.parent.relative_to(REPO_ROOT)} cannot find {missing}"


def test_the_bootstrap_region_is_where_the_state_lives() -> None:
    for env in ENVS:
        region = merged_locals(load(REPO_ROOT / "live" / env / "_bootstrap" / "region.hcl"))["aws_region"]
        assert region == merged_locals(load(REPO_ROOT / "live" / env / "account.hcl"))["state_region"]


def test_the_ecr_unit_can_be_bootstrapped_alone() -> None:
    """The first build pushes to the repositories before any apply: an admin applies live/dev/<region>/ecr
    first (README, bootstrap step 5), which works only while the unit depends on nothing."""
    from idp.hcl import load as load_hcl

    unit = load_hcl(REPO_ROOT / "live" / "_units" / "ecr.hcl")
    assert not unit.get("dependency")
    assert not unit.get("dependencies")


def test_every_stack_role_carries_the_workload_boundary() -> None:
    """The apply role may create a role only with the boundary and on the stack's path
    (modules/github-oidc): a module role without either would fail its first apply - and a
    boundary-less role is the escalation path."""
    from idp.hcl import load as load_hcl

    roles = 0
    for tf in sorted((REPO_ROOT / "modules").glob("*/*.tf")):
        if tf.parent.name == "github-oidc":
            continue  # the pipeline's own roles: the admin's bootstrap, never the apply role's
        for resource in load_hcl(tf).get("resource", []):
            for name, body in resource.get("aws_iam_role", {}).items():
                roles += 1
                assert "workload_boundary" in str(body.get("permissions_boundary", "")), f"{tf}: aws_iam_role.{name}"
                assert body.get("path") == "${module.names.workload_role_path}", f"{tf}: aws_iam_role.{name} path"
    assert roles >= 3
