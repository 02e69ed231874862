"""Cold-start budget: each handler's import time next to `import boto3`, in fresh interpreters.

Lambda pays the handler's import time on every cold start. The budget (issue: every handler
<= 1.5x `import boto3`) is checked as a ratio measured in the same run, which is far steadier
than absolute times; each figure is the best of N fresh interpreters.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass

from idp.naming import FUNCTIONS
from idp.paths import REPO_ROOT

BUDGET_RATIO = 1.5
HEAVY_MODULES = ("lingua", "jsonschema", "moto")
_PROBE = (
    "import json, sys, time; t = time.perf_counter(); import {module}; "
    "print(json.dumps({{'seconds': time.perf_counter() - t, 'modules': sorted(sys.modules)}}))"
)


@dataclass(frozen=True)
class ImportTiming:
    module: str
    seconds: float
    modules: frozenset[str]


def measure(module: str, runs: int = 3) -> ImportTiming:
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(REPO_ROOT / "lambdas"), os.environ.get("PYTHONPATH", "")])}
    best: ImportTiming | None = None
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", _PROBE.format(module=module)],
            capture_output=True,
            text=True,
            check=True,
            env=env,
            cwd=REPO_ROOT,
        ).stdout
        data = json.loads(out)
        timing = ImportTiming(module, float(data["seconds"]), frozenset(data["modules"]))
        if best is None or timing.seconds < best.seconds:
            best = timing
    assert best is not None  # noqa: S101 - runs >= 1
    return best


def report(runs: int = 3) -> tuple[ImportTiming, list[ImportTiming]]:
    baseline = measure("boto3", runs)
    return baseline, [measure(f"{function}.app", runs) for function in FUNCTIONS]


def render(baseline: ImportTiming, handlers: list[ImportTiming]) -> str:
    lines = [f"{'module':<32} {'ms':>8} {'x boto3':>8}", f"{'boto3':<32} {baseline.seconds * 1000:>8.0f} {1:>8.2f}"]
    for timing in handlers:
        ratio = timing.seconds / baseline.seconds
        flag = "" if ratio <= BUDGET_RATIO else f"  over budget ({BUDGET_RATIO}x)"
        lines.append(f"{timing.module:<32} {timing.seconds * 1000:>8.0f} {ratio:>8.2f}{flag}")
    return "\n".join(lines)
