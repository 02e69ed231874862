"""Plans made from Terragrunt's mock_outputs: a dependency had no state yet (an env's first deploy).

Every mock value in live/_units names itself `mock` (a test holds every unit to it), so a plan whose
input variables carry the word was planned against placeholders: fine to review, never to apply as
saved - its ARNs and names are not the real ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from idp.plans.model import UnitPlan

MOCK = re.compile(r"(?<![A-Za-z0-9])mock(?![A-Za-z])")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def is_mock(value: Any) -> bool:
    return any(MOCK.search(text) for text in _strings(value))


def mocked_inputs(raw: dict[str, Any]) -> list[str]:
    """The unit's input variables whose planned value came from a mock output."""
    variables = raw.get("variables") or {}
    return sorted(name for name, entry in variables.items() if is_mock((entry or {}).get("value")))


def mocked_units(plans: Sequence[UnitPlan]) -> dict[str, list[str]]:
    return {p.unit: names for p in plans if (names := mocked_inputs(p.raw))}
