"""idp plan-comment and plan-verify on real (../shared) and committed plan fixtures."""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from idp.cli import app
from idp.plans.comment import MAX_COMMENT_CHARS, render
from idp.plans.fingerprint import compare, plan_fingerprint
from idp.plans.model import Counts, UnitPlan, load_dir
from tests.conftest import REPO_ROOT, SHARED_DIR

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "plans"
SHARED_PLANS = SHARED_DIR / "fixtures" / "plans"
runner = CliRunner()


def plan_dir(tmp_path: Path, files: dict[str, Path]) -> Path:
    root = tmp_path / "plans"
    for unit, source in files.items():
        (root / unit).mkdir(parents=True)
        shutil.copy(source, root / unit / "tfplan.json")
    return root


def comment_for(tmp_path: Path, files: dict[str, Path], env: str = "dev") -> str:
    result = runner.invoke(app, ["plan-comment", "--env", env, str(plan_dir(tmp_path, files))])
    assert result.exit_code == 0, result.output
    return result.output


def test_comment_layout_counts_banner_and_masking(tmp_path: Path) -> None:
    text = comment_for(
        tmp_path,
        {"eu-west-1/compute": FIXTURES / "every-action.json", "eu-west-1/security": FIXTURES / "no-changes.json"},
    )
    lines = text.splitlines()
    assert re.fullmatch(r"<!-- idp-plan env=dev fingerprint=[0-9a-f]{64} -->", lines[0])
    banner = text[: text.index("### Terraform plan")]
    assert "**replace** `aws_secretsmanager_secret_version.callback` (replace_because_cannot_update)" in banner
    assert "**delete** `aws_s3_bucket.old_logs` (delete_because_no_resource_config)" in banner
    assert "| `eu-west-1/compute` | 1 | 1 | 1 | 1 | 1 | 1 |" in text
    assert "- `eu-west-1/security`: No changes." in text
    assert "~ memory_size: 512 → 1024" in text
    assert "+ arn = (known after apply)" in text
    assert "moved from aws_dynamodb_table.docs" in text
    assert "output.api_key: (sensitive) → (sensitive)" in text
    for secret in ("hunter2-plain", "hunter3-plain", "s3cr3t", "key-aaa-plain", "key-bbb-plain"):
        assert secret not in text


def sensitive_values(node: Any, mask: Any) -> list[str]:
    """Every scalar a sensitive mask covers (what must never reach a comment)."""
    if mask is True:
        if isinstance(node, dict):
            return [v for sub in node.values() for v in sensitive_values(sub, True)]
        if isinstance(node, list):
            return [v for sub in node for v in sensitive_values(sub, True)]
        return [str(node)] if isinstance(node, str) and len(node) >= 6 else []
    if isinstance(mask, dict) and isinstance(node, dict):
        return [v for k, sub in mask.items() for v in sensitive_values(node.get(k), sub)]
    if isinstance(mask, list) and isinstance(node, list):
        return [v for sub_m, sub_n in zip(mask, node, strict=False) for v in sensitive_values(sub_n, sub_m)]
    return []


def public_values(node: Any, mask: Any) -> list[str]:
    """Every scalar NOT covered by a sensitive mask (the same value may be public elsewhere)."""
    if mask is True:
        return []
    if isinstance(node, dict):
        sub_mask = mask if isinstance(mask, dict) else {}
        return [v for k, sub in node.items() for v in public_values(sub, sub_mask.get(k))]
    if isinstance(node, list):
        masks = mask if isinstance(mask, list) else []
        return [v for i, sub in enumerate(node) for v in public_values(sub, masks[i] if i < len(masks) else None)]
    return [str(node)] if isinstance(node, str) else []


def shared_plans() -> list[Path]:
    if not SHARED_PLANS.is_dir():
        return []
    return sorted(SHARED_PLANS.glob("*.json"))


@pytest.mark.skipif(not SHARED_PLANS.is_dir(), reason="../shared/fixtures/plans not beside this clone")
@pytest.mark.parametrize("path", shared_plans(), ids=lambda p: p.stem)
def test_real_plans_never_leak_sensitive_values(tmp_path: Path, path: Path) -> None:
    raw = json.loads(path.read_text())
    secrets: set[str] = set()
    public: set[str] = set()
    changes = [rc.get("change", {}) for rc in raw.get("resource_changes") or []]
    changes += list((raw.get("output_changes") or {}).values())
    for change in changes:
        for side in ("before", "after"):
            secrets.update(sensitive_values(change.get(side), change.get(f"{side}_sensitive")))
            public.update(public_values(change.get(side), change.get(f"{side}_sensitive")))
    secrets -= public  # a value Terraform shows unmasked elsewhere in the plan is not a secret
    text = comment_for(tmp_path, {"unit": path})
    assert len(text) <= MAX_COMMENT_CHARS
    leaked = sorted(s for s in secrets if json.dumps(s)[1:-1] in text)
    assert leaked == []


@pytest.mark.skipif(not SHARED_PLANS.is_dir(), reason="../shared/fixtures/plans not beside this clone")
def test_real_plan_counts_match_the_manifest() -> None:
    large = UnitPlan.from_json(
        "u", json.loads((SHARED_PLANS / "aws-large-219-mixed-replace-deposed-drift.json").read_text())
    )
    assert len(large.resources) == 219
    counts = large.counts
    # manifest: update 18, delete/create 10 + create/delete 1 (replace), create 8, delete 3 (deposed)
    assert (counts.add, counts.change, counts.destroy, counts.replace) == (8, 18, 3, 11)
    moved = UnitPlan.from_json("u", json.loads((SHARED_PLANS / "moved-noop-random.json").read_text()))
    assert moved.counts == Counts(move=1)
    empty = UnitPlan.from_json("u", json.loads((SHARED_PLANS / "no-resources-aws-providers-only.json").read_text()))
    assert not empty.has_changes


def big_plan(resources: int) -> dict[str, Any]:
    template = json.loads((FIXTURES / "every-action.json").read_text())
    base = template["resource_changes"][0]
    changes = []
    for i in range(resources):
        item = copy.deepcopy(base)
        item["address"] = f"aws_lambda_function.fn_{i:05d}"
        item["change"]["after"]["memory_size"] = 1024 + i
        changes.append(item)
    return {"format_version": "1.2", "resource_changes": changes, "output_changes": {}}


def test_huge_plans_are_cut_to_the_limit_and_say_so(tmp_path: Path) -> None:
    plans = [UnitPlan.from_json(f"eu-west-1/unit-{n}", big_plan(700)) for n in range(3)]
    plans.append(UnitPlan.from_json("eu-west-1/quiet", json.loads((FIXTURES / "no-changes.json").read_text())))
    text = render("prod", plans, "plan-prod")
    assert len(text) <= MAX_COMMENT_CHARS
    assert "1 unit(s) without changes omitted." in text
    assert "Shortened to fit GitHub's comment limit" in text
    assert "more resource changes cut to fit the comment" in text
    assert "workflow artifact `plan-prod`" in text
    assert "| **total** | **0** | **2100** |" in text  # the summary always counts everything


@pytest.mark.bench
def test_two_thousand_resources_render_under_a_second(benchmark: Any) -> None:
    plans = [UnitPlan.from_json("eu-west-1/big", big_plan(2000))]
    text = benchmark(render, "dev", plans, "plan-dev")
    assert len(text) <= MAX_COMMENT_CHARS
    assert benchmark.stats.stats.max < 1.0


def reformat(raw: dict[str, Any]) -> dict[str, Any]:
    """The same plan as another run prints it: keys reversed, JSON strings re-spaced, new timestamp."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: walk(node[k]) for k in reversed(list(node))}
        if isinstance(node, list):
            return [walk(v) for v in node]
        if isinstance(node, str) and node.startswith("{"):
            try:
                return json.dumps(json.loads(node), indent=4)
            except json.JSONDecodeError:
                return node
        return node

    out = walk(raw)
    out["timestamp"] = "2030-01-01T00:00:00Z"
    return out


def test_plan_verify_ignores_formatting_and_catches_changes(tmp_path: Path) -> None:
    raw = json.loads((FIXTURES / "every-action.json").read_text())
    raw["resource_changes"][0]["change"]["after"]["policy"] = '{"Statement": [{"Effect": "Allow"}]}'
    reviewed, same, different = tmp_path / "reviewed", tmp_path / "same", tmp_path / "different"
    for folder, data in ((reviewed, raw), (same, reformat(raw))):
        (folder / "u").mkdir(parents=True)
        (folder / "u" / "tfplan.json").write_text(json.dumps(data, indent=None if folder is same else 2))
    changed = copy.deepcopy(raw)
    changed["resource_changes"][0]["change"]["after"]["memory_size"] = 2048
    (different / "u").mkdir(parents=True)
    (different / "u" / "tfplan.json").write_text(json.dumps(changed))
    (different / "extra").mkdir()
    (different / "extra" / "tfplan.json").write_text((FIXTURES / "no-changes.json").read_text())

    assert plan_fingerprint(load_dir(reviewed)) == plan_fingerprint(load_dir(same))
    ok = runner.invoke(app, ["plan-verify", "--reviewed", str(reviewed), "--current", str(same)])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(app, ["plan-verify", "--reviewed", str(reviewed), "--current", str(different)])
    assert bad.exit_code == 1
    assert "unit u: aws_lambda_function.api changed" in bad.output
    assert "unit extra: planned now, not in the reviewed plan" in bad.output
    assert compare(load_dir(reviewed), load_dir(reviewed)).matches


def test_bad_plan_input_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "u").mkdir()
    (tmp_path / "u" / "tfplan.json").write_text("{not json")
    result = runner.invoke(app, ["plan-comment", "--env", "dev", str(tmp_path)])
    assert result.exit_code == 2
    assert "not JSON" in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    assert runner.invoke(app, ["plan-comment", "--env", "dev", str(empty)]).exit_code == 2


def test_every_mock_output_of_every_unit_names_itself_mock() -> None:
    """The mock marker is how a plan made from mocks is recognised: a mock without it would be applied."""
    from idp.hcl import load
    from idp.local.composition import UNITS_DIR
    from idp.plans.mocks import is_mock

    found = 0
    for path in sorted(UNITS_DIR.glob("*.hcl")):
        for dependency in load(path).get("dependency", []):
            for label, body in dependency.items():
                for name, value in (body.get("mock_outputs") or {}).items():
                    found += 1
                    assert is_mock(value), f"{path.name}: dependency.{label} mock {name} = {value!r} lacks 'mock'"
    assert found > 20


def test_the_mock_marker_is_a_word_not_a_substring() -> None:
    from idp.plans.mocks import is_mock

    assert is_mock("arn:aws:kms:eu-west-1:1:key/mock")
    assert is_mock({"a": ["role/mock-sqs-poller"]})
    assert not is_mock("idp-dev-hammock-bucket")
    assert not is_mock("mockingbird")
    assert not is_mock(["arn:aws:kms:eu-west-1:111111111111:key/1234"])


def test_a_plan_from_mocks_is_announced_in_the_comment() -> None:
    from idp.plans.comment import render
    from idp.plans.model import UnitPlan

    raw = {"resource_changes": [], "variables": {"role_arns": {"value": {"x": "arn:aws:iam::1:role/mock-x"}}}}
    text = render("dev", [UnitPlan.from_json("eu-west-1/compute", raw)], "plan-dev")
    assert "Planned with mock outputs" in text
    assert "`eu-west-1/compute` (role_arns)" in text
    clean = render("dev", [UnitPlan.from_json("eu-west-1/compute", {"resource_changes": []})], "plan-dev")
    assert "mock" not in clean


def test_a_refresh_that_changes_nothing_to_apply_is_accepted_and_a_real_change_refused() -> None:
    """#12: the BDA blueprint list that `idp configs publish` changes, drift in an ignored attribute, a
    no-op resource's refreshed state - none is something the apply will do, none refuses it."""
    from idp.plans.model import UnitPlan

    def plan(no_op_before: str, update_before_other: str, after_memory: int) -> list[UnitPlan]:
        raw = {
            "resource_changes": [
                {
                    "address": "aws_s3_bucket.b",
                    "change": {"actions": ["no-op"], "before": {"tags": no_op_before}, "after": {"tags": no_op_before}},
                },
                {
                    "address": "aws_lambda_function.f",
                    "change": {
                        "actions": ["update"],
                        "before": {"memory_size": 512, "last_modified": update_before_other},
                        "after": {"memory_size": after_memory, "last_modified": update_before_other},
                        "after_unknown": {},
                    },
                },
                {
                    "address": "aws_sqs_queue.q",
                    "change": {"actions": ["delete"], "before": {"arn": update_before_other}},
                },
            ],
            "output_changes": {"x": {"actions": ["no-op"], "before": no_op_before, "after": no_op_before}},
        }
        return [UnitPlan.from_json("u", raw)]

    reviewed = plan("at review", "at review", 1024)
    assert plan_fingerprint(reviewed) == plan_fingerprint(plan("refreshed since", "refreshed since", 1024))
    assert compare(reviewed, plan("refreshed since", "refreshed since", 1024)).matches
    changed = compare(reviewed, plan("at review", "at review", 2048))
    assert not changed.matches
    assert changed.differences == ["unit u: aws_lambda_function.f changed"]
