"""The layers agree: Lambda settings <-> compute env, ASL <-> functions, naming <-> idp.naming."""

from __future__ import annotations

import json
import re

from idp.naming import FUNCTIONS, Names
from idp.paths import REPO_ROOT
from idp_common.flow import ExecutionInput
from idp_common.settings import SETTINGS_BY_FUNCTION
from tests.handler_stack import ASL_PATH, FixtureTimings, function_environment
from tests.infra.hcl_model import ENVS, LIVE, load, module

PLACEHOLDER = re.compile(r"\$\{([a-z_]+)_arn\}")


def test_each_function_gets_exactly_the_variables_its_settings_require() -> None:
    compute = module("compute")
    env_keys = compute.locals["function_env_keys"]
    assert set(env_keys) == set(FUNCTIONS)
    for function, model in SETTINGS_BY_FUNCTION.items():
        assert set(env_keys[function]) == model.env_names(), function
    assert set().union(*env_keys.values()) == set(compute.locals["env_values"])


def test_the_handler_test_fixture_sets_the_same_variables() -> None:
    names = Names("idp", "local", "123456789012", "eu-west-1")
    local_env = function_environment(names, FixtureTimings(), bda_profile_arn="q")
    assert set(local_env) == set(module("compute").locals["env_values"])


def test_results_outlive_the_longest_retention_of_any_document_type() -> None:
    """document_cleanup purges a document (record, input, BDA output, result) at its type's retention;
    the output bucket's own expiry must come later, or a COMPLETED document's result link dies first
    (it did: 90 days against invoices' 365)."""
    longest = max(
        json.loads(path.read_text())["retention_days"] for path in (REPO_ROOT / "doc-configs").glob("*/config.json")
    )
    for env in ENVS:
        output_days = load(LIVE / env / "env.hcl")["locals"][0]["bucket_retention_days"]["output"]
        assert output_days > longest, f"{env}: output bucket expires after {output_days} d, a type keeps {longest} d"


def test_every_function_is_sized_in_every_env() -> None:
    for env in ENVS:
        sizing = load(LIVE / env / "env.hcl")["locals"][0]["functions"]
        assert set(sizing) == set(FUNCTIONS), env


CALLBACK_TASK = "arn:aws:states:::lambda:invoke.waitForTaskToken"


def test_state_machine_tasks_name_real_functions() -> None:
    text = ASL_PATH.read_text()
    definition = json.loads(text)  # a real JSON file, loaded by Python and by templatefile()
    placeholders = set(PLACEHOLDER.findall(text))
    assert placeholders <= set(FUNCTIONS)
    task_functions = module("orchestration").locals["task_functions"]
    assert set(task_functions) == placeholders
    tasks = [s for s in definition["States"].values() if s["Type"] == "Task"]
    assert {s["Resource"] for s in tasks} == {"arn:aws:states:::lambda:invoke", CALLBACK_TASK}
    # Event-driven: no state waits on a clock, and a task waiting for BDA's event has a deadline its
    # execution input supplies (sqs_poller's ExecutionInput) and a Catch for it.
    assert not [name for name, s in definition["States"].items() if s["Type"] in {"Wait", "Fail"}]
    for waiting in (s for s in tasks if s["Resource"] == CALLBACK_TASK):
        assert waiting["TimeoutSecondsPath"].removeprefix("$.") in ExecutionInput.model_fields
        assert waiting["Catch"][0]["ErrorEquals"] == ["States.Timeout"]
        assert waiting["Parameters"]["Payload"]["task_token.$"] == "$$.Task.Token"
    assert all("States.ALL" in str(s.get("Catch")) for s in tasks if s is not definition["States"]["MarkFailed"])
    retry_errors = {e for s in tasks for r in s["Retry"] for e in r["ErrorEquals"]}
    assert {"Lambda.TooManyRequestsException", "BdaThrottledError", "RetryableError"} <= retry_errors


def evaluate(template: str, values: dict[str, str]) -> str:
    return re.sub(r"\$\{(?:var|local)\.([a-z_]+)\}", lambda m: values[m.group(1)], template)


def test_terraform_and_python_build_the_same_names() -> None:
    naming = module("naming").locals
    values = {"project": "idp", "environment": "prod", "account_id": "123456789012", "region": "eu-west-1"}
    values["prefix"] = evaluate(naming["prefix"], values)
    names = Names(**{k: values[k] for k in ("project", "environment", "account_id", "region")})
    pairs = {
        "documents_table": names.documents_table,
        "config_table": names.config_table,
        "intake_queue": names.intake_queue,
        "intake_dlq": names.intake_dlq,
        "bda_events_queue": names.bda_events_queue,
        "bda_events_dlq": names.bda_events_dlq,
        "bda_events_rule": names.bda_events_rule,
        "callbacks_queue": names.callbacks_queue,
        "callbacks_dlq": names.callbacks_dlq,
        "state_machine": names.state_machine,
        "config_version_parameter": names.config_version_parameter,
        "callback_secret": names.callback_secret,
        "workload_boundary": names.workload_boundary,
        "workload_role_path": names.workload_role_path,
    }
    for key, expected in pairs.items():
        assert evaluate(naming[key], values) == expected, key
    bucket_template = re.search(r'=> "(.+)"', naming["buckets"]).group(1)  # type: ignore[union-attr]
    assert evaluate(bucket_template.replace("${purpose}", "input"), values) == names.input_bucket
    function_template = naming["functions"]
    assert 'replace(name, "_", "-")' in function_template
    assert "${local.prefix}-" in function_template
    assert names.function("sqs_poller") == "idp-prod-sqs-poller"


def test_function_lists_in_terraform_defaults_match_the_python_list() -> None:
    for name in ("naming", "ecr"):
        default = module(name).variables["functions"]["default"]
        assert list(default) == list(FUNCTIONS), f"modules/{name} functions default drifted from idp.naming.FUNCTIONS"
