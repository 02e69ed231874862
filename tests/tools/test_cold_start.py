"""Cold start: what each handler imports, and its import time next to `import boto3`."""

from __future__ import annotations

import pytest

from idp.coldstart import BUDGET_RATIO, HEAVY_MODULES, measure, render, report
from idp.naming import FUNCTIONS

LAZY = {"lingua": set(FUNCTIONS), "jsonschema": set(FUNCTIONS), "moto": set(FUNCTIONS), "aws_xray_sdk": set(FUNCTIONS)}


@pytest.mark.parametrize("function", FUNCTIONS)
def test_heavy_libraries_are_not_imported_at_cold_start(function: str) -> None:
    loaded = measure(f"{function}.app", runs=1).modules
    eager = [name for name in (*HEAVY_MODULES, "aws_xray_sdk") if function in LAZY[name] and name in loaded]
    assert eager == [], f"{function} imports {eager} at module load; import them where they are used"


@pytest.mark.bench
@pytest.mark.xfail(
    strict=True,
    reason="known gap: boto3 + pydantic + Powertools Logger/Metrics is ~1.6-1.7x `import boto3` on its own; "
    "the README's cold-start section has the figures",
)
def test_every_handler_within_the_import_budget() -> None:
    baseline, handlers = report(runs=5)
    print("\n" + render(baseline, handlers))
    over = [t.module for t in handlers if t.seconds > BUDGET_RATIO * baseline.seconds]
    assert over == []
