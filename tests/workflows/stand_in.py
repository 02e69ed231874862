"""Recording stand-in for a tool that cannot run here (terragrunt, aws, gh, docker).

Every call is appended to $STAND_IN_LOG as one JSON line: tool, argv, cwd, stdin (when read), and the
environment a real call would depend on. What it answers comes from $STAND_IN_SCRIPT (rules: the
first whose words each appear in an argument gives stdout and exit code) and, for terragrunt's run queue, the
behaviour the workflows rely on, as Terragrunt documents it:
- the queue is every unit under the working directory narrowed by `--filter` / `--filters-file` path
  expressions (Terragrunt 1.0: positive expressions are a union, `!` ones are removed after them; none
  positive - every unit); `--queue-exclude-dir` is refused (hidden and deprecated in 1.0);
- `run --all ... --json-out-dir D -- plan [-destroy]` writes D/<unit path>/tfplan.json for every unit
  in the queue from the plan JSON the script names; `--out-dir D` writes D/<unit path>/tfplan.tfplan;
- `run --all ... --out-dir D -- apply` applies the saved plans: every unit must have one, else it fails;
  `run --all -- apply` without one plans and applies each unit in dependency order;
- a unit's outputs (`output -json` in its folder) are the script's `outputs_before` until the unit is
  applied, `outputs_after` from then on; a unit planned after any unit of its `replan_after` was
  applied gets its `replan` JSON (Terragrunt reads a dependency's outputs when it plans; a saved plan
  keeps what it read - Terraform applies it as saved).
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

RECORDED_ENV = (
    "IDP_IMAGE_DIGESTS", "AWS_REGION", "IDP_ASSUMED_ROLE", "TG_NON_INTERACTIVE", "TG_TF_PATH", "TG_PROVIDER_CACHE",
    "TG_PROVIDER_CACHE_DIR",
)  # fmt: skip


def option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else None


def expressions(argv: list[str]) -> list[str]:
    found = [argv[i + 1] for i, a in enumerate(argv) if a == "--filter"]
    for i, a in enumerate(argv):
        if a == "--filters-file":
            lines = Path(argv[i + 1]).read_text().splitlines()
            found += [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return found


def _matches(unit: Path, expression: str) -> bool:
    return fnmatch.fnmatch(f"./{unit}", expression) or fnmatch.fnmatch(str(unit), expression)


def units(cwd: Path, argv: list[str]) -> list[Path]:
    if "--queue-exclude-dir" in argv or "--queue-include-dir" in argv:
        raise SystemExit("terragrunt (stand-in): the queue flags are deprecated in 1.0 - use --filter")
    found = sorted(p.parent.relative_to(cwd) for p in cwd.rglob("terragrunt.hcl") if p.parent != cwd)
    given = expressions(argv)
    positive = [e for e in given if not e.startswith("!")]
    negative = [e[1:] for e in given if e.startswith("!")]
    queue = [u for u in found if any(_matches(u, e) for e in positive)] if positive else found
    return [u for u in queue if not any(_matches(u, e) for e in negative)]


def applied_units() -> set[str]:
    state = Path(os.environ["STAND_IN_LOG"]).with_name("applied-units.json")
    return set(json.loads(state.read_text())) if state.exists() else set()


def mark_applied(env: str, units: list[Path]) -> None:
    state = Path(os.environ["STAND_IN_LOG"]).with_name("applied-units.json")
    state.write_text(json.dumps(sorted(applied_units() | {f"{env}/{u}" for u in units})))


def unit_script(script: dict[str, object], unit: Path) -> dict[str, Any]:
    found = dict(script.get("units") or {}).get(str(unit)) or {}  # type: ignore[call-overload]
    return dict(found)


def plan_json_of(script: dict[str, object], env: str, unit: Path) -> Path:
    own = unit_script(script, unit)
    if own.get("replan") and applied_units() & {f"{env}/{u}" for u in own.get("replan_after", [])}:
        return Path(str(own["replan"]))
    sequence = [str(p) for p in script.get("plan_sequence") or []]  # type: ignore[attr-defined]
    if sequence and not own.get("plan"):  # what each `run --all plan` of the env sees, in turn (e.g. drift)
        return Path(sequence[min(plans_made(env), len(sequence)) - 1])
    return Path(str(own.get("plan") or script["plan_json"]))


def plans_made(env: str) -> int:
    """How many `run --all ... plan` this env has had so far (this one included)."""
    log = Path(os.environ["STAND_IN_LOG"])
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return sum(
        1
        for c in calls
        if c["tool"] == "terragrunt" and c["argv"][:2] == ["run", "--all"] and "plan" in c["argv"]
        and Path(c["cwd"]).name == env
    )  # fmt: skip


def terragrunt_output(script: dict[str, object]) -> int:
    cwd = Path.cwd()
    unit = Path(*cwd.parts[-2:])  # live/<env>/<region>/<unit> -> <region>/<unit>
    own = unit_script(script, unit)
    applied = f"{cwd.parts[-3]}/{unit}" in applied_units()  # an env's unit, applied in this run
    print(json.dumps(own.get("outputs_after" if applied else "outputs_before", {})))
    return 0


def terragrunt_run_all(argv: list[str], script: dict[str, object]) -> int:  # noqa: PLR0911 (one per outcome)
    cwd = Path.cwd()
    command = argv[argv.index("--") + 1] if "--" in argv else ""
    json_dir, out_dir = option(argv, "--json-out-dir"), option(argv, "--out-dir")
    queue = units(cwd, argv)
    if command == "plan":
        if script.get("plan_fails"):
            print("terragrunt (stand-in): Error: a unit failed to plan (scripted)", file=sys.stderr)
            return 1
        for unit in queue:
            if json_dir:
                (Path(json_dir) / unit).mkdir(parents=True, exist_ok=True)
                shutil.copy2(plan_json_of(script, cwd.name, unit), Path(json_dir) / unit / "tfplan.json")
            if out_dir:
                (Path(out_dir) / unit).mkdir(parents=True, exist_ok=True)
                (Path(out_dir) / unit / "tfplan.tfplan").write_bytes(b"saved plan of " + str(unit).encode())
        return 0
    failing = [str(u) for u in queue if str(u) in (script.get("apply_fails") or [])]  # type: ignore[operator]
    if command == "apply" and failing:
        print(f"terragrunt (stand-in): Error: applying {failing} failed (scripted)", file=sys.stderr)
        return 1
    if command == "apply" and out_dir:
        missing = [str(u) for u in queue if not (Path(out_dir) / u / "tfplan.tfplan").is_file()]
        if missing:
            print(f"terragrunt (stand-in): no saved plan in {out_dir} for {missing}", file=sys.stderr)
            return 1
        mark_applied(cwd.name, queue)
        return 0
    if command == "apply":  # each unit plans and applies in dependency order (auto-approved by run --all)
        mark_applied(cwd.name, queue)
        return 0
    print(f"terragrunt (stand-in): run --all {command} is not stood in", file=sys.stderr)
    return 1


def stand_in_path(bin_dir: Path, log: Path, script: Path, tools: tuple[str, ...]) -> dict[str, str]:
    """An environment with `tools` as recording stand-ins first on PATH (in-process tests of idp)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for tool in tools:
        path = bin_dir / tool
        path.write_text(f'#!/usr/bin/env bash\nexec "{sys.executable}" "{Path(__file__)}" {tool} "$@"\n')
        path.chmod(0o755)
    return {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "STAND_IN_LOG": str(log),
        "STAND_IN_SCRIPT": str(script),
    }


def main() -> int:
    tool, argv = sys.argv[1], sys.argv[2:]
    script: dict[str, object] = json.loads(Path(os.environ["STAND_IN_SCRIPT"]).read_text())
    entry: dict[str, object] = {
        "tool": tool,
        "argv": argv,
        "cwd": str(Path.cwd()),
        "env": {k: os.environ[k] for k in RECORDED_ENV if k in os.environ},
    }
    if "-" in argv and not sys.stdin.isatty():
        entry["stdin"] = sys.stdin.read()
    with Path(os.environ["STAND_IN_LOG"]).open("a") as log:
        log.write(json.dumps(entry) + "\n")
    if tool == "terragrunt" and argv[:2] == ["run", "--all"]:
        return terragrunt_run_all(argv, script)
    if tool == "terragrunt" and argv == ["output", "-json"]:
        return terragrunt_output(script)
    for rule in script.get("rules", []):  # type: ignore[union-attr]
        if rule["tool"] == tool and all(any(word in arg for arg in argv) for word in rule["words"]):
            print(rule.get("stdout", ""), end="")
            return int(rule.get("exit", 0))
    print(f"{tool} (stand-in): no answer scripted for {argv}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
