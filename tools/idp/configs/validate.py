"""Load doc-configs/ and report every problem as `path: JSON pointer: message`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import ValidationError

from idp.configs.blueprint import BlueprintError, blueprint_json, to_blueprint
from idp.configs.problems import Problem, pointer
from idp_common.doc_types import DocTypeConfig

FILES = ("config.json", "schema.json", "prompt.txt")
META_SCHEMA = "config.schema.json"
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
MAX_PROMPT_CHARS = 4000


@dataclass(frozen=True)
class LoadedType:
    name: str
    config: DocTypeConfig
    schema: dict[str, Any]
    prompt: str
    blueprint: str  # canonical blueprint JSON
    files: dict[str, bytes]

    @property
    def content_hash(self) -> str:
        digest = hashlib.sha256()
        for name in FILES:
            digest.update(name.encode() + b"\0" + self.files[name] + b"\0")
        return digest.hexdigest()


@cache
def _meta_validator(path: Path) -> Draft202012Validator:
    return Draft202012Validator(json.loads(path.read_text()))


def _read_json(path: Path, label: str, problems: list[Problem]) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        problems.append(Problem(label, "/", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"))
    except UnicodeDecodeError as exc:
        problems.append(Problem(label, "/", f"not UTF-8: {exc.reason}"))
    return None


def _schema_fields(schema: dict[str, Any]) -> set[str]:
    properties = schema.get("properties")
    return set(properties) if isinstance(properties, dict) else set()


def load_type(folder: Path, root: Path, meta: Draft202012Validator) -> tuple[LoadedType | None, list[Problem]]:
    label = folder.relative_to(root.parent).as_posix()
    problems: list[Problem] = []
    missing = [name for name in FILES if not (folder / name).is_file()]
    for name in missing:
        problems.append(Problem(f"{label}/{name}", "/", f"missing file: every document type needs {', '.join(FILES)}"))
    if missing:
        return None, problems
    config_label, schema_label, prompt_label = (f"{label}/{name}" for name in FILES)
    raw_config = _read_json(folder / "config.json", config_label, problems)
    schema = _read_json(folder / "schema.json", schema_label, problems)
    prompt = (folder / "prompt.txt").read_text(encoding="utf-8", errors="replace")
    if raw_config is not None:
        problems.extend(_check_config(raw_config, folder.name, config_label, meta))
    if schema is not None:
        problems.extend(_check_schema(schema, schema_label))
        problems.extend(_check_thresholds(raw_config, schema, config_label))
    if not prompt.strip():
        problems.append(Problem(prompt_label, "/", "prompt is empty"))
    elif len(prompt) > MAX_PROMPT_CHARS:
        problems.append(Problem(prompt_label, "/", f"prompt is {len(prompt)} characters; at most {MAX_PROMPT_CHARS}"))
    if problems:
        return None, problems
    try:
        config = DocTypeConfig.model_validate(raw_config)
    except ValidationError as exc:  # the meta-schema and the model must agree; say so if they don't
        return None, [Problem(config_label, pointer(e["loc"]), e["msg"]) for e in exc.errors()]
    try:
        blueprint = blueprint_json(to_blueprint(schema, config.display_name, schema_label))
    except BlueprintError as exc:
        return None, exc.problems
    files = {name: (folder / name).read_bytes() for name in FILES}
    return LoadedType(folder.name, config, schema, prompt, blueprint, files), []


def _check_config(raw: Any, folder_name: str, label: str, meta: Draft202012Validator) -> list[Problem]:
    problems = [
        Problem(label, pointer(error.absolute_path), error.message)
        for error in sorted(meta.iter_errors(raw), key=lambda e: list(e.absolute_path))
    ]
    if isinstance(raw, dict) and raw.get("document_type") not in (None, folder_name):
        problems.append(Problem(label, "/document_type", f"must equal the folder name {folder_name!r}"))
    return problems


def _check_thresholds(raw_config: Any, schema: Any, label: str) -> list[Problem]:
    if not isinstance(raw_config, dict) or not isinstance(schema, dict):
        return []
    thresholds = raw_config.get("field_thresholds")
    fields = _schema_fields(schema)
    return [
        Problem(label, pointer(["field_thresholds", key]), f"{key!r} is not a property of schema.json")
        for key in (thresholds if isinstance(thresholds, dict) else {})
        if key not in fields
    ]


def _check_schema(schema: Any, label: str) -> list[Problem]:
    if not isinstance(schema, dict):
        return [Problem(label, "/", "schema.json must be a JSON object")]
    problems = []
    if schema.get("$schema") != SCHEMA_DIALECT:
        problems.append(Problem(label, "/$schema", f"must be {SCHEMA_DIALECT!r} (JSON Schema 2020-12)"))
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        problems.append(Problem(label, pointer(exc.absolute_path), f"not a valid JSON Schema: {exc.message}"))
    fields = _schema_fields(schema)
    for index, name in enumerate(schema.get("required", []) or []):
        if name not in fields:
            problems.append(Problem(label, pointer(["required", index]), f"required field {name!r} is not a property"))
    return problems


def load_all(root: Path) -> tuple[dict[str, LoadedType], list[Problem]]:
    """Every type under root (one folder each); problems from all of them, none hidden."""
    meta_path = root / META_SCHEMA
    if not meta_path.is_file():
        return {}, [Problem(f"{root.name}/{META_SCHEMA}", "/", "meta-schema missing")]
    meta = _meta_validator(meta_path)
    types: dict[str, LoadedType] = {}
    problems: list[Problem] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        loaded, found = load_type(folder, root, meta)
        problems.extend(found)
        if loaded is not None:
            types[loaded.name] = loaded
    owners: dict[str, str] = {}
    for loaded in types.values():
        name = loaded.config.classification.blueprint_name
        if name in owners:
            label = f"{root.name}/{loaded.name}/config.json"
            problems.append(
                Problem(label, "/classification/blueprint_name", f"{name!r} is already used by {owners[name]}")
            )
        owners[name] = loaded.name
    if not types and not problems:
        problems.append(Problem(root.name, "/", "no document types found"))
    return types, sorted(problems)
