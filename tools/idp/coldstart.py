"""Cold-start budget: each handler's import time next to `import boto3`, measured as Lambda runs it.

Lambda pays the handler's import on every cold start. The budget: each handler's own code (idp_common
and its app module) costs at most 0.15x `import boto3` beyond the libraries it needs (boto3, pydantic,
Powertools, and a function's extra library such as the API resolver) - those are 1.50x on their own,
and importing them later would only move the same work into billed, CPU-capped invocation time. The
ratio is taken within one run, far steadier than absolute times. The probe reproduces
how the image runs the code, because each difference moves the figures a lot:
- bytecode is already compiled (the image compiles everything at build). Without it, every
  start compiles botocore & co. from source and the measure is mostly the compiler;
- the image's ENV (lambdas/Dockerfile), e.g. PYDANTIC_DISABLE_PLUGINS;
- X-Ray SDK subsegments off or on, as an env.hcl's `xray_sdk_subsegments` sets them (reported both ways).
The budget is checked on instructions executed (valgrind's cachegrind, net of an empty interpreter):
the same count on every run, whatever else the machine does, where CPU times on a shared 2-core
machine swing by a third. CPU milliseconds (least of N fresh interpreters) are reported beside
them; without valgrind the ratio falls back to those, and the report says so.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from idp.image import runtime_env
from idp.naming import FUNCTIONS
from idp.paths import REPO_ROOT

OWN_CODE_BUDGET = 0.15  # x `import boto3`, beyond the libraries a handler needs
BASELINE = "boto3"
# What every handler needs at module load whatever its own code: the AWS SDK, pydantic (settings and
# payload models) and Powertools Logger/Metrics. Reported as its own row, so the table shows how much
# of the budget the platform takes before a handler's own imports.
FLOOR = ", ".join(
    [
        "boto3",
        "botocore.config",
        "pydantic.main",
        "pydantic.fields",
        "aws_lambda_powertools.logging",
        "aws_lambda_powertools.metrics",
    ]
)
FLOOR_LABEL = "floor: boto3+pydantic+Logger/Metrics"
# Library code some handlers need at load on top of the floor: the API resolver, the batch processor.
# Imported first, as the handlers do (Powertools' batch loads its pydantic parser if pydantic is in).
LIBRARY_EXTRAS = {
    "presigned_url_generator": "aws_lambda_powertools.event_handler, aws_lambda_powertools.event_handler.openapi.params"
    ", aws_lambda_powertools.event_handler.middlewares.openapi_validation",
    "sqs_poller": "aws_lambda_powertools.utilities.batch",
    "bda_orchestrator": "aws_lambda_powertools.utilities.batch",  # its SQS event source: BDA's ended events
    "status_updater": "aws_lambda_powertools.utilities.batch",  # its SQS event source: the callbacks queue
}
# The probes' bytecode: compiled once and kept between runs, as the image keeps its own (git-ignored).
PYCACHE = REPO_ROOT / ".tools" / "pycache"
HEAVY_MODULES = ("lingua", "jsonschema", "moto", "aws_xray_sdk")
_PROBE = (
    "import json, sys, time; t = time.process_time(); import {module}; "
    "print(json.dumps({{'seconds': time.process_time() - t, 'modules': sorted(sys.modules)}}))"
)


@dataclass(frozen=True)
class ImportTiming:
    module: str
    seconds: float
    modules: frozenset[str]
    instructions: int | None = None  # net of an empty interpreter; None without valgrind


@dataclass(frozen=True)
class Measurement:
    """One run: the baseline, the platform floor and each handler, all under the same settings."""

    baseline: ImportTiming
    floor: ImportTiming
    handlers: list[ImportTiming]
    extra_floors: dict[str, ImportTiming] = field(default_factory=dict)  # function -> floor + its extras

    @property
    def by_instructions(self) -> bool:
        return self.baseline.instructions is not None

    def ratio(self, timing: ImportTiming) -> float:
        if timing.instructions is not None and self.baseline.instructions:
            return timing.instructions / self.baseline.instructions
        return timing.seconds / self.baseline.seconds

    def over_budget(self) -> list[str]:
        return [t.module for t in self.handlers if self.own_code(t) > OWN_CODE_BUDGET]

    def own_code(self, handler: ImportTiming) -> float:
        """What the handler adds beyond the libraries it needs, in units of `import boto3`."""
        function = handler.module.removesuffix(".app")
        return self.ratio(handler) - self.ratio(self.extra_floors.get(function, self.floor))


def handler_module(function: str) -> str:
    return f"{function}.app"


def probe_env(service: str, *, tracing: bool, pycache: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of one probe interpreter: the image's ENV plus what Lambda and Terraform set."""
    env = dict(os.environ if base is None else base) | runtime_env()
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # the image ships bytecode; here the prefix cache holds it
    return env | {
        "PYTHONPATH": str(REPO_ROOT / "lambdas"),
        "PYTHONPYCACHEPREFIX": str(pycache),
        "PYTHONHASHSEED": "0",  # same hashing, same instruction count
        "AWS_DEFAULT_REGION": env.get("AWS_DEFAULT_REGION", "eu-west-1"),
        "AWS_LAMBDA_FUNCTION_NAME": f"idp-coldstart-{service}",
        "POWERTOOLS_SERVICE_NAME": service,
        "POWERTOOLS_TRACE_DISABLED": "false" if tracing else "true",
    }


def import_once(module: str, env: Mapping[str, str]) -> ImportTiming:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(module=module)],
        capture_output=True,
        text=True,
        check=True,
        env=dict(env),
        cwd=REPO_ROOT,
    ).stdout
    data = json.loads(out)
    return ImportTiming(module, float(data["seconds"]), frozenset(data["modules"]))


def valgrind() -> str | None:
    return shutil.which("valgrind")


_INSTRUCTIONS = re.compile(r"I\s+refs:\s+([\d,]+)")


def instructions(code: str, env: Mapping[str, str], tool: str) -> int:
    """Instructions a fresh interpreter executes running `code` (cachegrind without its cache model)."""
    proc = subprocess.run(
        [tool, "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null", sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=dict(env),
        cwd=REPO_ROOT,
    )
    found = _INSTRUCTIONS.search(proc.stderr)
    if found is None:
        raise RuntimeError(f"valgrind printed no instruction count:\n{proc.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def loaded_modules(function: str, *, tracing: bool = False) -> frozenset[str]:
    """Every module loaded by importing the function's handler (no timing: one interpreter)."""
    env = probe_env(function, tracing=tracing, pycache=PYCACHE)
    return import_once(handler_module(function), env).modules


def measure(functions: Iterable[str], *, tracing: bool = False, runs: int = 3) -> Measurement:
    """Each probe's least CPU time over `runs` rounds (after a warm-up round that writes the bytecode)
    and, where valgrind exists, its instruction count."""
    names = list(functions)
    probes = {BASELINE: BASELINE, FLOOR_LABEL: FLOOR} | {name: handler_module(name) for name in names}
    probes |= {f"{FLOOR_LABEL} + {n}": f"{LIBRARY_EXTRAS[n]}, {FLOOR}" for n in names if n in LIBRARY_EXTRAS}
    best: dict[str, ImportTiming] = {}
    envs = {key: probe_env(key if key in names else BASELINE, tracing=tracing, pycache=PYCACHE) for key in probes}
    for round_ in range(runs + 1):
        for key, module in probes.items():  # in turn, so drifting machine load hits all alike
            timing = replace(import_once(module, envs[key]), module=key if key not in names else module)
            if round_ > 0 and (key not in best or timing.seconds < best[key].seconds):
                best[key] = timing
    tool = valgrind()
    if tool is not None:
        # Counts do not depend on load, so the probes run side by side.
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            empty = pool.submit(instructions, "pass", envs[BASELINE], tool)
            counts = {
                key: pool.submit(instructions, f"import {module}", envs[key], tool) for key, module in probes.items()
            }
            best = {key: replace(best[key], instructions=counts[key].result() - empty.result()) for key in probes}
    extras = {n: best[f"{FLOOR_LABEL} + {n}"] for n in names if n in LIBRARY_EXTRAS}
    return Measurement(best[BASELINE], best[FLOOR_LABEL], [best[n] for n in names], extras)


def render(plain: Measurement, traced: Measurement | None = None) -> str:
    """Instructions (millions), CPU ms, the ratio to boto3 and the handler's own share; tracing on beside."""
    unit = "instructions" if plain.by_instructions else "CPU time (valgrind not found)"
    head = f"{'module':<38} {'M instr':>8} {'ms':>5} {'x boto3':>8} {'own code':>9}"
    if traced is not None:
        head += f" {'tracing: ms':>12} {'x boto3':>8}"
    lines = [f"ratio by {unit}; ms = least CPU time of fresh interpreters; own code = beyond its libraries", head]
    rows = [plain.baseline, plain.floor, *plain.handlers]
    traced_rows = [traced.baseline, traced.floor, *traced.handlers] if traced is not None else []
    for index, timing in enumerate(rows):
        count = f"{timing.instructions / 1e6:>8.0f}" if timing.instructions is not None else f"{'-':>8}"
        own = f"{plain.own_code(timing):>+9.2f}" if index >= 2 else f"{'':>9}"
        line = f"{timing.module:<38} {count} {timing.seconds * 1000:>5.0f} {plain.ratio(timing):>8.2f} {own}"
        if traced is not None:
            other = traced_rows[index]
            line += f" {other.seconds * 1000:>12.0f} {traced.ratio(other):>8.2f}"
        if index >= 2 and plain.own_code(timing) > OWN_CODE_BUDGET:
            line += f"  over budget (own code > {OWN_CODE_BUDGET}x)"
        lines.append(line)
    return "\n".join(lines)


def report(runs: int = 3, *, tracing_column: bool = True) -> tuple[Measurement, str]:
    plain = measure(FUNCTIONS, tracing=False, runs=runs)
    traced = measure(FUNCTIONS, tracing=True, runs=runs) if tracing_column else None
    return plain, render(plain, traced)
