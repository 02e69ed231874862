"""Percentiles by nearest rank, as CloudWatch computes pNN over raw values - the local alarm
evaluator's pNN and the load test's p50/p95 alike."""

from __future__ import annotations

import math
from collections.abc import Sequence


def nearest_rank(values: Sequence[float], pct: float) -> float:
    """The value at rank ceil(pct/100 * n) of the sorted values (at least the first); NaN for none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(1, math.ceil(pct / 100 * len(ordered))) - 1]
