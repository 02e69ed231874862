"""Dominant-language detection with lingua, restricted to the languages the configs declare."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

MIN_TEXT_CHARS = 20


@dataclass(frozen=True)
class LanguageGuess:
    language: str | None  # ISO 639-1, lower case; None when undecidable
    confidence: float
    reason: str | None = None


@cache
def _detector(languages: frozenset[str]) -> Any:
    # Imported here: lingua's models load lazily and only this function needs them (cold start).
    from lingua import IsoCode639_1, LanguageDetectorBuilder  # noqa: PLC0415

    codes = [getattr(IsoCode639_1, code.upper()) for code in sorted(languages)]
    if len(codes) == 1:
        # lingua needs two candidates; English is the neutral second.
        codes.append(IsoCode639_1.EN if codes[0] != IsoCode639_1.EN else IsoCode639_1.DE)
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()


def detect(text: str, languages: frozenset[str], min_confidence: float = 0.5) -> LanguageGuess:
    cleaned = " ".join(text.split())
    if len(cleaned) < MIN_TEXT_CHARS:
        return LanguageGuess(None, 0.0, f"too little text to detect a language ({len(cleaned)} characters)")
    if not languages:
        return LanguageGuess(None, 0.0, "no document type declares a language")
    values = _detector(languages).compute_language_confidence_values(cleaned)
    best = values[0]
    code = best.language.iso_code_639_1.name.lower()
    confidence = round(float(best.value), 4)
    if code not in languages:
        return LanguageGuess(code, confidence, f"detected language {code!r} is not supported")
    if confidence < min_confidence:
        return LanguageGuess(code, confidence, f"language confidence {confidence} below {min_confidence}")
    return LanguageGuess(code, confidence)
