"""Cold start: what each handler imports, and its import cost next to `import boto3`, as the image runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from idp.coldstart import (
    FLOOR_LABEL,
    HEAVY_MODULES,
    LIBRARY_EXTRAS,
    OWN_CODE_BUDGET,
    ImportTiming,
    Measurement,
    loaded_modules,
    probe_env,
    render,
    report,
)
from idp.image import runtime_env
from idp.naming import FUNCTIONS


def timing(module: str, ms: float, instructions: int | None = None) -> ImportTiming:
    return ImportTiming(module, ms / 1000, frozenset(), instructions)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_heavy_libraries_are_not_imported_at_cold_start(function: str) -> None:
    loaded = loaded_modules(function)
    eager = [name for name in HEAVY_MODULES if name in loaded]
    assert eager == [], f"{function} imports {eager} at module load; import them where they are used"


def test_tracing_on_loads_the_xray_sdk_so_the_tracing_column_measures_it() -> None:
    assert "aws_xray_sdk" in loaded_modules("status_updater", tracing=True)


def test_the_probe_runs_with_the_image_environment(tmp_path: Path) -> None:
    image = runtime_env()
    assert image["PYDANTIC_DISABLE_PLUGINS"] == "__all__", "the image must not scan entry points for pydantic plugins"
    env = probe_env("status_updater", tracing=False, pycache=tmp_path, base={"PYTHONDONTWRITEBYTECODE": "1"})
    assert env["PYDANTIC_DISABLE_PLUGINS"] == "__all__"
    assert "PYTHONDONTWRITEBYTECODE" not in env, "the probe must load bytecode, as the image does"
    assert env["PYTHONPYCACHEPREFIX"] == str(tmp_path)
    assert env["POWERTOOLS_TRACE_DISABLED"] == "true"
    assert env["POWERTOOLS_SERVICE_NAME"] == "status_updater"
    traced = probe_env("status_updater", tracing=True, pycache=tmp_path, base={})
    assert traced["POWERTOOLS_TRACE_DISABLED"] == "false"
    assert "AWS_LAMBDA_FUNCTION_NAME" in traced, "Powertools' Tracer only traces inside Lambda"


def test_ratio_prefers_instruction_counts_and_flags_what_is_over() -> None:
    counted = Measurement(
        baseline=timing("boto3", 200, 600_000_000),
        floor=timing(FLOOR_LABEL, 290, 900_000_000),
        handlers=[timing("a.app", 400, 870_000_000), timing("b.app", 250, 960_000_000)],
    )
    # b is faster by the clock but executes more: the count decides, the clock is only reported.
    assert counted.ratio(counted.handlers[0]) == pytest.approx(1.45)
    assert counted.own_code(counted.handlers[1]) == pytest.approx(0.10)  # 1.60x - the 1.50x floor: in budget
    assert counted.over_budget() == []
    heavier = Measurement(counted.baseline, counted.floor, [timing("c.app", 250, 1_000_000_000)])
    assert heavier.over_budget() == ["c.app"]  # 1.67x - 1.50x = 0.17x of own code
    text = render(heavier)
    assert text.splitlines()[0].startswith("ratio by instructions")
    assert "over budget (own code > 0.15x)" in next(line for line in text.splitlines() if line.startswith("c.app"))
    assert "over budget" not in render(counted)
    assert counted.own_code(counted.handlers[0]) == pytest.approx(-0.05)  # a's floor is the common one

    timed = Measurement(timing("boto3", 200), timing(FLOOR_LABEL, 290), [timing("a.app", 340)])
    assert timed.over_budget() == ["a.app"]  # by CPU time: 1.70x - 1.45x
    assert "valgrind not found" in render(timed).splitlines()[0]


@pytest.mark.bench
def test_each_handlers_own_code_stays_within_the_cold_start_budget() -> None:
    """The cold-start budget (deterministic where valgrind exists): it fails the day a handler or
    idp_common imports something heavy at module load, or builds what it could build on first use."""
    plain, text = report()
    print("\n" + text)
    assert set(plain.extra_floors) == set(LIBRARY_EXTRAS)
    own = {handler.module: round(plain.own_code(handler), 3) for handler in plain.handlers}
    assert {module: share for module, share in own.items() if share > OWN_CODE_BUDGET} == {}
    assert plain.over_budget() == []
