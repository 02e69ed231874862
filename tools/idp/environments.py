"""The environments, in promotion order, from live/environments.hcl - the one list.

Every consumer reads it here (`idp changes`, `idp envs` for the workflows' matrices) or reads the same
file in Terragrunt (live/_units/ecr.hcl, live/_github): adding an env is one entry there plus its
live/<name>/ folder. The first env's account holds the image registry.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from idp.hcl import merged_locals, read
from idp.load.policy import LoadPolicy, LoadPolicyError
from idp.paths import REPO_ROOT
from idp.traffic import ShiftPolicy, TrafficError

LIST_FILE = Path("live") / "environments.hcl"
NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
ALL_AT_ONCE = ShiftPolicy("all-at-once")
MAX_WAIT_MINUTES = 43200  # GitHub's limit for an environment's wait timer (30 days)


class EnvironmentsError(ValueError):
    """The list is missing, malformed or disagrees with live/<name>/account.hcl."""


@dataclass(frozen=True)
class Environment:
    name: str
    protected: bool
    wait_timer: int
    # How a release's new versions take the traffic (idp.traffic); absent: all at once, no bake.
    traffic: ShiftPolicy = ALL_AT_ONCE
    # The load test a release must pass here before the next env (idp.load); absent: none.
    load: LoadPolicy | None = None


def _read(path: Path) -> dict[str, object]:
    if not path.is_file():
        raise EnvironmentsError(f"{path}: missing - it lists the environments in promotion order")
    try:
        return merged_locals(read(path))
    except Exception as exc:  # hcl2 raises lark errors of several kinds
        raise EnvironmentsError(f"{path}: not valid HCL ({str(exc).splitlines()[0]})") from exc


def _entry(raw: object, index: int, where: Path) -> Environment:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise EnvironmentsError(f'{where}: environments[{index}] needs a name (e.g. {{ name = "dev" }})')
    name = raw["name"]
    if not NAME.match(name):
        raise EnvironmentsError(f"{where}: {name!r} is not an env name (lower case, digits, '-', at most 20)")
    missing = [key for key in ("protected", "wait_timer") if key not in raw]
    if missing:  # live/_github reads both: no default here that Terragrunt would not share
        raise EnvironmentsError(
            f"{where}: {name} needs {' and '.join(missing)} (e.g. protected = true, wait_timer = 0)"
        )
    protected, wait = raw["protected"], raw["wait_timer"]
    if not isinstance(protected, bool):
        raise EnvironmentsError(f"{where}: {name}.protected must be true or false")
    if not isinstance(wait, int) or isinstance(wait, bool) or not 0 <= wait <= MAX_WAIT_MINUTES:
        raise EnvironmentsError(f"{where}: {name}.wait_timer must be whole minutes, 0 to {MAX_WAIT_MINUTES}")
    try:
        traffic = ShiftPolicy.from_data(raw["traffic"], f"{where}: {name}") if "traffic" in raw else ALL_AT_ONCE
        load = LoadPolicy.from_data(raw["load"], f"{where}: {name}") if "load" in raw else None
    except (TrafficError, LoadPolicyError) as exc:
        raise EnvironmentsError(str(exc)) from exc
    return Environment(name, protected, wait, traffic, load)


def environments(root: Path = REPO_ROOT) -> list[Environment]:
    """The list, checked against the tree: names unique, each with a live/<name>/account.hcl that says so."""
    path = root / LIST_FILE
    raw = _read(path).get("environments")
    if not isinstance(raw, list) or not raw:
        raise EnvironmentsError(f"{path}: locals.environments must be a non-empty list")
    found = [_entry(item, index, path) for index, item in enumerate(raw)]
    seen: set[str] = set()
    for env in found:
        if env.name in seen:
            raise EnvironmentsError(f"{path}: {env.name!r} is listed twice")
        seen.add(env.name)
        account = root / "live" / env.name / "account.hcl"
        if not account.is_file():
            raise EnvironmentsError(f"{path}: {env.name!r} has no live/{env.name}/account.hcl - add its folder")
        said = _read(account).get("environment")
        if said != env.name:
            raise EnvironmentsError(f"{account}: environment = {said!r}, but the folder is {env.name!r}")
    return found


def environment(name: str, root: Path = REPO_ROOT) -> Environment:
    for env in environments(root):
        if env.name == name:
            return env
    raise EnvironmentsError(f"no environment {name!r} in {LIST_FILE}; known: {', '.join(names(root))}")


def names(root: Path = REPO_ROOT) -> list[str]:
    return [env.name for env in environments(root)]


def registry(root: Path = REPO_ROOT) -> str:
    """The env whose account holds the image registry (ECR): the first in the list."""
    return names(root)[0]


def github_outputs(root: Path = REPO_ROOT) -> str:
    found = environments(root)
    return (
        f"names={json.dumps([e.name for e in found])}\n"
        f"registry={found[0].name}\n"
        f"environments={json.dumps([asdict(e) for e in found])}\n"
    )
