"""Turn BDA's inference into the output document, validated against the type's JSON Schema."""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import fmean
from typing import Any

from idp_common.bda import BdaResult
from idp_common.doc_types import DocType


@dataclass(frozen=True)
class Extraction:
    output: dict[str, Any]
    low_confidence_reasons: list[str] = field(default_factory=list)


def schema_errors(data: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    # jsonschema is imported lazily: only the extractor needs it (cold start of the others).
    from jsonschema import Draft202012Validator  # noqa: PLC0415

    # Formats are assertions here (`date`, `email`, ...): JSON Schema 2020-12 only annotates them by default.
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    return [f"/{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


def field_score(fields: dict[str, float], name: str) -> float | None:
    """A field's confidence; for an object or an array (line items), its weakest part."""
    if name in fields:
        return fields[name]
    parts = [score for key, score in fields.items() if key.startswith((f"{name}.", f"{name}["))]
    return min(parts) if parts else None


def extract(*, document_id: str, doc_type: DocType, language: str | None, result: BdaResult) -> Extraction:
    data = dict(result.inference)
    fields = result.field_confidence
    overall = round(fmean(fields.values()), 4) if fields else 0.0
    reasons = [f"extracted data invalid at {problem}" for problem in schema_errors(data, doc_type.json_schema)]
    required = doc_type.json_schema.get("required", [])
    for name in required:
        threshold = doc_type.config.threshold_for(name)
        score = field_score(fields, name)
        if score is None:
            reasons.append(f"required field {name!r} has no confidence score")
        elif score < threshold:
            reasons.append(f"field {name!r} confidence {score:.2f} below {threshold:.2f}")
    if not fields:
        reasons.append("BDA returned no field confidences")
    output = {
        "document_id": document_id,
        "document_type": doc_type.name,
        "language": language,
        "confidence_scores": {"overall": overall, "fields": dict(sorted(fields.items()))},
        "extracted_data": data,
    }
    return Extraction(output, reasons)
