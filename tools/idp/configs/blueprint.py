"""JSON Schema 2020-12 (our schema.json) -> BDA blueprint schema (draft-07 with class/definitions).

BDA blueprints take scalar leaves with `inferenceType` (explicit|inferred) and an `instruction`,
arrays of scalars or of `$ref`s, and objects only through `definitions`. The `description` of a
field becomes its instruction; `x-bda-inference` picks the inference type (default explicit).
"""

from __future__ import annotations

import json
from typing import Any

from idp.configs.problems import Problem, pointer

SCALARS = {"string", "number", "integer", "boolean"}
INFERENCE_KEY = "x-bda-inference"


class BlueprintError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(map(str, problems)))


def _definition_name(field: str) -> str:
    return "".join(part.capitalize() for part in field.replace("-", "_").split("_"))


def _instruction(spec: dict[str, Any]) -> str:
    text = str(spec.get("description", "")).strip()
    if "enum" in spec:
        text += " One of: " + ", ".join(map(str, spec["enum"])) + "."
    return text


class _Converter:
    def __init__(self, path: str) -> None:
        self.path = path
        self.definitions: dict[str, Any] = {}
        self.problems: list[Problem] = []

    def fail(self, where: list[object], message: str) -> None:
        self.problems.append(Problem(self.path, pointer(where), message))

    def leaf(self, spec: dict[str, Any], where: list[object]) -> dict[str, Any]:
        kind = spec.get("type")
        if kind not in SCALARS:
            self.fail(where, f"type {kind!r} is not supported by BDA blueprints (use one of {sorted(SCALARS)})")
        inference = spec.get(INFERENCE_KEY, "explicit")
        if inference not in {"explicit", "inferred"}:
            self.fail([*where, INFERENCE_KEY], "must be 'explicit' or 'inferred'")
        if not str(spec.get("description", "")).strip():
            self.fail([*where, "description"], "every field needs a description: it becomes the BDA instruction")
        return {"type": kind, "inferenceType": inference, "instruction": _instruction(spec)}

    def obj(self, name: str, spec: dict[str, Any], where: list[object]) -> str:
        ref = _definition_name(name)
        properties = spec.get("properties")
        if not isinstance(properties, dict) or not properties:
            self.fail(where, "an object field needs non-empty properties")
            properties = {}
        self.definitions[ref] = {
            "type": "object",
            "properties": {key: self.leaf(sub, [*where, "properties", key]) for key, sub in properties.items()},
        }
        return f"#/definitions/{ref}"

    def field(self, name: str, spec: dict[str, Any], where: list[object]) -> dict[str, Any]:
        kind = spec.get("type")
        if kind == "object":
            return {"$ref": self.obj(name, spec, where)}
        if kind == "array":
            items = spec.get("items")
            if not isinstance(items, dict):
                self.fail(where, "an array field needs an `items` schema")
                return {"type": "array", "instruction": _instruction(spec)}
            if not str(spec.get("description", "")).strip():
                self.fail([*where, "description"], "every field needs a description: it becomes the BDA instruction")
            if items.get("type") == "object":
                ref = self.obj(f"{name}_item", items, [*where, "items"])
                return {"type": "array", "instruction": _instruction(spec), "items": {"$ref": ref}}
            leaf = self.leaf({**items, "description": spec.get("description", "")}, [*where, "items"])
            return {
                "type": "array",
                "inferenceType": leaf["inferenceType"],
                "instruction": _instruction(spec),
                "items": {"type": leaf["type"]},
            }
        return self.leaf(spec, where)


def to_blueprint(schema: dict[str, Any], class_name: str, path: str = "schema.json") -> dict[str, Any]:
    converter = _Converter(path)
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        raise BlueprintError([Problem(path, pointer(["properties"]), "the schema needs top-level properties")])
    converted = {name: converter.field(name, spec, ["properties", name]) for name, spec in properties.items()}
    if converter.problems:
        raise BlueprintError(converter.problems)
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "description": str(schema.get("description", class_name)),
        "class": class_name,
        "type": "object",
        "definitions": converter.definitions,
        "properties": converted,
    }


def blueprint_json(blueprint: dict[str, Any]) -> str:
    """The canonical string sent to BDA (and compared on publish: same content -> no update)."""
    return json.dumps(blueprint, sort_keys=True, separators=(",", ":"))
