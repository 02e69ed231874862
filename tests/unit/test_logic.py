"""Pure logic: language, classification, extraction, status decisions."""

from __future__ import annotations

import pytest

from idp_common import language
from idp_common.bda import BdaResult
from idp_common.classification import classify
from idp_common.doc_types import DocType, DocTypeConfig
from idp_common.extraction import extract
from idp_common.finalize import target_of
from idp_common.flow import ClassificationStep, ExtractionStep, LanguageStep, ProcessingFailed, ProcessingSucceeded
from idp_common.status import DocumentStatus


def doc_type(name: str = "passport", **overrides: object) -> DocType:
    config = {
        "document_type": name,
        "display_name": name.title(),
        "description": "d",
        "enabled": True,
        "languages": ["en", "fr"],
        "classification": {"blueprint_name": f"idp-{name}", "min_confidence": 0.8},
        "default_field_threshold": 0.85,
        "field_thresholds": {"number": 0.9},
        "max_upload_bytes": 1000,
        "allowed_content_types": ["application/pdf"],
        "retention_days": 30,
    } | overrides
    schema = {
        "type": "object",
        "properties": {"number": {"type": "string"}, "name": {"type": "string"}},
        "required": ["number", "name"],
    }
    return DocType(config=DocTypeConfig.model_validate(config), json_schema=schema, prompt="p", version="1")


def result(**kw: object) -> BdaResult:
    base: dict[str, object] = {
        "blueprint_name": "idp-passport",
        "blueprint_confidence": 0.95,
        "document_class": "Passport",  # BDA answers the blueprint's class: the display name
        "inference": {"number": "X1", "name": "Ann"},
        "field_confidence": {"number": 0.95, "name": 0.9},
    }
    return BdaResult(**(base | kw))  # type: ignore[arg-type]


TYPES = {"passport": doc_type(), "invoice": doc_type("invoice")}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("The passport holder must sign the document before travelling abroad with it.", "en"),
        ("Le titulaire du passeport doit signer le document avant de voyager à l'étranger.", "fr"),
    ],
)
def test_language_detected_among_declared(text: str, code: str) -> None:
    guess = language.detect(text, frozenset({"en", "fr", "de"}))
    assert guess.language == code
    assert guess.reason is None
    assert guess.confidence > 0.5


def test_language_undecidable_or_unsupported_is_a_reason_not_an_error() -> None:
    assert language.detect("short", frozenset({"en"})).reason is not None
    guess = language.detect(
        "Der Antragsteller muss das Formular vollständig ausfüllen und unterschreiben.", frozenset({"de"})
    )
    assert guess.language == "de"
    english = language.detect("The applicant must fill in the whole form and sign it at the end.", frozenset({"de"}))
    assert english.reason is not None  # only German declared: English text is not supported


def test_classification_match_mismatch_and_low_confidence() -> None:
    assert classify(result(), "passport", TYPES).low_confidence_reasons == []
    mismatch = classify(result(blueprint_name="idp-invoice"), "passport", TYPES)
    assert mismatch.detected_type == "invoice"
    assert "declared type 'passport'" in mismatch.low_confidence_reasons[0]
    weak = classify(result(blueprint_confidence=0.5), "passport", TYPES)
    assert "below 0.80" in weak.low_confidence_reasons[0]
    unknown = classify(result(blueprint_name="other", document_class=None), "passport", TYPES)
    assert "not a configured document type" in unknown.low_confidence_reasons[0]


def test_a_blueprint_of_another_name_is_classified_by_its_class_the_display_name() -> None:
    """BDA's document_class is the matched blueprint's `class` (the type's display name): the synthetic
    recordings used to carry the type key there, and the fallback passed only on them."""
    by_class = classify(result(blueprint_name="renamed-in-console", document_class="Invoice"), "invoice", TYPES)
    assert (by_class.detected_type, by_class.low_confidence_reasons) == ("invoice", [])
    by_key = classify(result(blueprint_name="renamed-in-console", document_class="invoice"), "invoice", TYPES)
    assert by_key.detected_type is None  # BDA never answers a type key


def line_items_type() -> DocType:
    base = doc_type("invoice")
    schema = {
        "type": "object",
        "properties": {
            "number": {"type": "string"},
            "issued": {"type": "string", "format": "date"},
            "line_items": {
                "type": "array",
                "items": {"type": "object", "properties": {"amount": {"type": "number"}}, "required": ["amount"]},
            },
        },
        "required": ["number", "issued", "line_items"],
    }
    return DocType(config=base.config, json_schema=schema, prompt="p", version="1")


def test_arrays_count_in_confidence_and_formats_are_enforced() -> None:
    from idp_common.bda import _confidences

    explained = [
        {
            "number": {"confidence": 0.95, "value": "X"},
            "line_items": [{"amount": {"confidence": 0.97}}, {"amount": {"confidence": 0.4}}],
        }
    ]
    assert _confidences(explained) == {"number": 0.95, "line_items[0].amount": 0.97, "line_items[1].amount": 0.4}
    inference = {"number": "X", "issued": "2026-11-03", "line_items": [{"amount": 1.0}, {"amount": 2.0}]}
    scores = {"number": 0.95, "issued": 0.95, "line_items[0].amount": 0.97, "line_items[1].amount": 0.4}
    weak_line = extract(
        document_id="d",
        doc_type=line_items_type(),
        language="en",
        result=result(inference=inference, field_confidence=scores),
    )
    assert weak_line.low_confidence_reasons == ["field 'line_items' confidence 0.40 below 0.85"]  # its weakest item
    bad_date = extract(
        document_id="d",
        doc_type=line_items_type(),
        language="en",
        result=result(
            inference=inference | {"issued": "2026-13-45"}, field_confidence=scores | {"line_items[1].amount": 0.9}
        ),
    )
    assert bad_date.low_confidence_reasons == ["extracted data invalid at /issued: '2026-13-45' is not a 'date'"]


def test_extraction_output_and_thresholds() -> None:
    good = extract(document_id="d", doc_type=TYPES["passport"], language="en", result=result())
    assert good.low_confidence_reasons == []
    assert good.output["confidence_scores"]["overall"] == pytest.approx(0.925)
    assert good.output["extracted_data"] == {"number": "X1", "name": "Ann"}
    low = extract(
        document_id="d",
        doc_type=TYPES["passport"],
        language="en",
        result=result(field_confidence={"number": 0.89, "name": 0.9}),
    )
    assert low.low_confidence_reasons == ["field 'number' confidence 0.89 below 0.90"]
    missing = extract(
        document_id="d", doc_type=TYPES["passport"], language=None, result=result(inference={"number": "X"})
    )
    assert any("'name' is a required property" in r for r in missing.low_confidence_reasons)


def test_status_decision() -> None:
    ok = ProcessingSucceeded(
        outcome="processed",
        document_id="d",
        language=LanguageStep(language="en", confidence=0.9),
        classification=ClassificationStep(detected_type="passport", confidence=0.9),
        extraction=ExtractionStep(output_key="results/d.json", overall_confidence=0.93),
    )
    assert target_of(ok)[0] is DocumentStatus.COMPLETED
    low = ok.model_copy(update={"language": LanguageStep(language=None, confidence=0, reasons=["too little text"])})
    status, fields = target_of(low)
    assert (status, fields["status_reason"]) == (DocumentStatus.LOW_CONFIDENCE, "too little text")
    failed = ProcessingFailed(outcome="failed", document_id="d", error={"Error": "BdaJobFailed", "Cause": "corrupt"})
    assert target_of(failed) == (DocumentStatus.FAILED, {"status_reason": "BdaJobFailed: corrupt"})
