"""Every BDA recording has the shape BDA's published output has (samples/README.md names the sources),
so the classifier and the confidence logic are proven on what BDA returns, not on what we wrote."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from idp.configs.validate import load_all
from idp.local.bda_double import load_recordings
from tests.conftest import REPO_ROOT

# The custom output of a document (a published result.json of an invoice blueprint; the Bedrock user
# guide's custom output examples): these keys, nothing else.
CUSTOM_OUTPUT_KEYS = {
    "matched_blueprint",
    "document_class",
    "split_document",
    "inference_result",
    "explainability_info",
}
MATCHED_BLUEPRINT_KEYS = {"arn", "name", "confidence"}
BLUEPRINT_ARN = re.compile(r"^arn:aws:bedrock:[a-z0-9-]+:\d{12}:blueprint/[0-9a-f]{12}$")
# One field's explainability entry; `success` and `geometry` are absent for some (an empty value).
LEAF_KEYS = {"success", "confidence", "geometry", "type", "value"}
LEAF_TYPES = {"string": str, "number": (int, float), "boolean": bool}
BOX_KEYS = {"top", "left", "width", "height"}


def leaf_problems(path: str, leaf: Any, value: Any) -> list[str]:
    if not isinstance(leaf, dict) or not {"confidence", "type", "value"} <= set(leaf) <= LEAF_KEYS:
        return [f"{path}: not an explainability entry: {leaf!r}"[:200]]
    problems = []
    if not 0.0 <= leaf["confidence"] <= 1.0:
        problems.append(f"{path}: confidence {leaf['confidence']}")
    if leaf["value"] != value:
        problems.append(f"{path}: value {leaf['value']!r} is not the inference's {value!r}")
    expected = LEAF_TYPES.get(leaf["type"])
    if expected is None or not isinstance(value, expected):
        problems.append(f"{path}: type {leaf['type']!r} for {value!r}")
    for place in leaf.get("geometry", []):
        if set(place) != {"boundingBox", "vertices", "page"} or set(place["boundingBox"]) != BOX_KEYS:
            problems.append(f"{path}: geometry {place!r}"[:200])
        elif place["page"] < 1 or len(place["vertices"]) != 4:
            problems.append(f"{path}: page {place['page']} (1-based), {len(place['vertices'])} vertices")
    return problems


def mirror_problems(path: str, explained: Any, inferred: Any) -> list[str]:
    """explainability_info[0] mirrors inference_result: objects by key, arrays item by item."""
    if isinstance(inferred, dict) and not ({"confidence", "value"} <= set(explained or {})):
        if not isinstance(explained, dict) or set(explained) != set(inferred):
            return [f"{path}: explains {sorted(explained or {})}, infers {sorted(inferred)}"]
        return [p for k in inferred for p in mirror_problems(f"{path}.{k}" if path else k, explained[k], inferred[k])]
    if isinstance(inferred, list):
        if not isinstance(explained, list) or len(explained) != len(inferred):
            return [f"{path}: {len(inferred)} items inferred, explained {explained!r}"[:200]]
        return [p for i, item in enumerate(inferred) for p in mirror_problems(f"{path}[{i}]", explained[i], item)]
    return leaf_problems(path, explained, inferred)


def custom_output_problems(custom: dict[str, Any], classes: dict[str, str]) -> list[str]:
    if set(custom) != CUSTOM_OUTPUT_KEYS:
        return [f"keys {sorted(custom)}"]
    problems = []
    blueprint = custom["matched_blueprint"]
    if set(blueprint) != MATCHED_BLUEPRINT_KEYS or not BLUEPRINT_ARN.match(blueprint["arn"]):
        problems.append(f"matched_blueprint {blueprint}")
    wanted = classes.get(blueprint["name"])
    if custom["document_class"] != {"type": wanted}:
        problems.append(f"document_class {custom['document_class']}: BDA answers the blueprint's class {wanted!r}")
    if set(custom["split_document"]) != {"page_indices"}:
        problems.append(f"split_document {custom['split_document']}")
    if not isinstance(custom["explainability_info"], list) or len(custom["explainability_info"]) != 1:
        return [*problems, "explainability_info is not a one-item list"]
    return problems + mirror_problems("", custom["explainability_info"][0], custom["inference_result"])


@pytest.fixture(scope="module")
def classes() -> dict[str, str]:
    """Blueprint name -> the class `idp configs publish` writes into it (from the blueprint it makes)."""
    types, problems = load_all(REPO_ROOT / "doc-configs")
    assert not problems
    return {t.config.classification.blueprint_name: json.loads(t.blueprint)["class"] for t in types.values()}


def test_every_recording_has_bdas_output_shape(classes: dict[str, str]) -> None:
    recordings = load_recordings()
    assert len(recordings) >= 9
    problems = {
        r["sample"]: found
        for r in recordings.values()
        if r["custom_output"] is not None and (found := custom_output_problems(r["custom_output"], classes))
    }
    assert problems == {}


def test_the_shape_check_refuses_what_the_synthetic_recordings_used_to_carry(classes: dict[str, str]) -> None:
    """Each of these was in the recordings before they followed BDA's published output."""
    good = next(r["custom_output"] for r in load_recordings().values() if r["sample"] == "invoice-de")
    assert custom_output_problems(good, classes) == []
    type_key = good | {"document_class": {"type": "invoice"}}
    assert "BDA answers the blueprint's class 'Invoice'" in custom_output_problems(type_key, classes)[0]
    named_arn = good | {
        "matched_blueprint": good["matched_blueprint"] | {"arn": "arn:aws:bedrock:eu-west-1:1:blueprint/idp-invoice"}
    }
    assert custom_output_problems(named_arn, classes)[0].startswith("matched_blueprint")
    bare = json.loads(json.dumps(good))
    bare["explainability_info"][0]["invoice_number"] = {
        "success": True,
        "value": "RE-2026-0412",
        "confidence": 0.96,
        "geometry": [],
    }
    assert "not an explainability entry" in custom_output_problems(bare, classes)[0]
