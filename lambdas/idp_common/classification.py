"""Map what BDA matched to a configured document type, and judge the match."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from idp_common.bda import BdaResult
from idp_common.doc_types import DocType


@dataclass(frozen=True)
class Classification:
    detected_type: str | None
    confidence: float
    low_confidence_reasons: list[str] = field(default_factory=list)


def classify(result: BdaResult, declared_type: str, types: Mapping[str, DocType]) -> Classification:
    by_blueprint = {t.config.classification.blueprint_name: name for name, t in types.items()}
    # BDA's document_class is the matched blueprint's class: the display name `idp configs publish`
    # writes into it, not the type key.
    by_class = {t.config.display_name: name for name, t in types.items()}
    detected = by_blueprint.get(result.blueprint_name or "") or by_class.get(result.document_class or "")
    reasons: list[str] = []
    if detected is None:
        matched = result.blueprint_name or result.document_class or "nothing"
        reasons.append(f"BDA matched {matched!r}, which is not a configured document type")
    elif detected != declared_type:
        reasons.append(f"declared type {declared_type!r} but the document looks like {detected!r}")
    declared = types.get(declared_type)
    threshold = declared.config.classification.min_confidence if declared else 1.0
    if result.blueprint_confidence < threshold:
        reasons.append(f"classification confidence {result.blueprint_confidence:.2f} below {threshold:.2f}")
    return Classification(detected, round(result.blueprint_confidence, 4), reasons)
