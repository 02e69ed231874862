"""`idp changes`, `envs`, `units` and `plan-run` / `plan-apply` / `plan-comment` / `plan-verify`: what a
change touches and its plans, as the workflows call them. The CLI parses and reports; the logic is in
idp.changes, idp.environments, idp.units and idp.plans."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from idp import github_files, inputs
from idp.cli_help import command_group
from idp.exits import fail

if TYPE_CHECKING:
    from idp.units import Affected

plans_app = command_group()  # its commands are registered at the top level of `idp`


@plans_app.command("changes")
def changes_command(
    base: Annotated[str | None, typer.Option(help="Base ref (merge base is taken: base...head).")] = None,
    head: Annotated[str, typer.Option(help="Head ref.")] = "HEAD",
    github_output: Annotated[bool, typer.Option(help="Also append the keys to $GITHUB_OUTPUT.")] = False,
    repo: Annotated[Path, typer.Option(help="Repository root.", callback=inputs.repository_root)] = Path(),
    everything: Annotated[bool, typer.Option("--all", help="Everything changed (full redeploy of a ref).")] = False,
) -> None:
    """What a change touches: functions to rebuild, doc-configs, infrastructure per env, docs only."""

    from idp.changes import GitError, detect  # noqa: PLC0415
    from idp.changes import everything as all_changes  # noqa: PLC0415
    from idp.environments import EnvironmentsError  # noqa: PLC0415
    from idp.units import UnitsError  # noqa: PLC0415

    if base is None and not everything:
        typer.echo("error: give --base REF or --all", err=True)
        raise typer.Exit(2)
    try:
        result = all_changes(repo) if everything else detect(repo, base or "", head)
    except (GitError, EnvironmentsError, UnitsError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(result.to_json())
    if github_output:
        github_files.append(github_files.OUTPUT, result.github_outputs())


@plans_app.command("envs")
def envs_command(
    github_output: Annotated[
        bool, typer.Option(help="Append names=<JSON list>, registry=<env>, environments=<JSON> to $GITHUB_OUTPUT.")
    ] = False,
    repo: Annotated[Path, typer.Option(help="Repository root.", callback=inputs.repository_root)] = Path(),
) -> None:
    """The environments in promotion order (live/environments.hcl), checked against live/<env>/account.hcl."""
    from idp.environments import EnvironmentsError, github_outputs  # noqa: PLC0415

    try:
        text = github_outputs(repo.resolve())
    except EnvironmentsError as exc:
        raise fail(str(exc), 2) from exc
    typer.echo(text, nl=False)
    if github_output:
        github_files.append(github_files.OUTPUT, text)


def _affected(repo: Path, env: str, base: str | None, head: str, *, everything: bool) -> Affected:
    """idp.changes.affected_units - one line and exit 2 on bad input."""
    from idp.changes import GitError, affected_units  # noqa: PLC0415
    from idp.environments import EnvironmentsError  # noqa: PLC0415
    from idp.units import UnitsError  # noqa: PLC0415

    try:
        return affected_units(repo.resolve(), env, base, head, every=everything)
    except (GitError, EnvironmentsError, UnitsError) as exc:
        raise fail(str(exc), 2) from exc


@plans_app.command("units")
def units_command(
    env: inputs.EnvOption,
    base: Annotated[str | None, typer.Option(help="Base ref: the units changed since base...head.")] = None,
    head: Annotated[str, typer.Option(help="Head ref (the checkout).")] = "HEAD",
    everything: Annotated[bool, typer.Option("--all", help="Every unit of the env (drift, a full redeploy).")] = False,
    repo: Annotated[
        Path, typer.Option(help="Repository root (a checkout of head).", callback=inputs.repository_root)
    ] = Path(),
) -> None:
    """The minimum set of units a change affects in one env, in dependency order (idp.units)."""
    found = _affected(repo, env, base, head, everything=everything)
    typer.echo(json.dumps({"plan": found.plan, "destroy": found.trees}))


@plans_app.command("plan-run")
def plan_run_command(
    env: inputs.EnvOption,
    out: Annotated[Path, typer.Option(help="The plan folder to make (sets, saved plans, plan JSON).")],
    base: Annotated[str | None, typer.Option(help="Plan the units changed since this commit.")] = None,
    everything: Annotated[bool, typer.Option("--all", help="Plan every unit of the env.")] = False,
    reviewed: Annotated[
        Path | None, typer.Option(help="Plan the same sets as this reviewed plan folder (the apply's check).")
    ] = None,
    github_output: Annotated[
        bool, typer.Option(help="Append planned=true, plan=<count>, destroy=<count> to $GITHUB_OUTPUT.")
    ] = False,
    repo: Annotated[
        Path, typer.Option(help="Repository root (a checkout of head).", callback=inputs.repository_root)
    ] = Path(),
    refresh: Annotated[
        bool, typer.Option(help="--no-refresh: against the applied state, reading no resource (a PR's plan).")
    ] = True,
) -> None:
    """Plan the affected units with Terragrunt (deleted units as destroys, in the tree that last held them)."""
    from idp.plans.run import NotAPlanFolder, PlanFolder, RunError, plan  # noqa: PLC0415
    from idp.units import UnitsError  # noqa: PLC0415

    folder = PlanFolder(out)
    if reviewed is not None:
        if base is not None or everything:
            raise fail("--reviewed plans the reviewed sets: give no --base or --all with it", 2)
        try:
            folder.copy_sets(PlanFolder(reviewed), env)
        except NotAPlanFolder as exc:
            raise fail(f"{exc} (the plan job's artifact)", 2) from exc
    else:
        try:
            folder.write_sets(_affected(repo, env, base, "HEAD", everything=everything), env)
        except RunError as exc:
            raise fail(str(exc), 2) from exc
    planned, destroyed = folder.count()
    typer.echo(f"plan-run: {planned} unit(s) to plan, {destroyed} to destroy in {env}")
    try:
        plan(repo.resolve(), env, folder, refresh=refresh)
    except (RunError, UnitsError) as exc:
        raise fail(str(exc)) from exc
    if github_output:
        github_files.append(github_files.OUTPUT, f"planned=true\nplan={planned}\ndestroy={destroyed}\n")


@plans_app.command("plan-apply")
def plan_apply_command(
    env: inputs.EnvOption,
    reviewed: Annotated[Path, typer.Option(help="The reviewed plan folder (the plan job's artifact).")],
    mocked: Annotated[
        str, typer.Option(help="true: planned from mock outputs - apply the units in dependency order, not as saved.")
    ] = "false",
    fresh: Annotated[
        Path | None, typer.Option(help="Where a dependent planned again after its dependencies moved goes.")
    ] = None,
    github_output: Annotated[
        bool, typer.Option(help="Append replanned=<units>, refused=<unit> to $GITHUB_OUTPUT.")
    ] = False,
    repo: Annotated[
        Path, typer.Option(help="Repository root (a checkout of the reviewed commit).", callback=inputs.repository_root)
    ] = Path(),
) -> None:
    """Apply exactly the reviewed plan folder: its destroys, then its saved plans unit by unit in dependency
    order - a dependent whose dependencies moved their outputs only as its reviewed plan with the moved values."""
    from idp.plans.run import NotAPlanFolder, PlanFolder, Refused, RunError, apply  # noqa: PLC0415
    from idp.units import UnitsError  # noqa: PLC0415

    if mocked not in {"true", "false"}:
        raise fail(f"--mocked {mocked!r}: give true or false", 2)
    try:
        replanned = apply(repo.resolve(), env, PlanFolder(reviewed), mocked=mocked == "true", fresh=fresh)
    except NotAPlanFolder as exc:  # checked before anything runs
        raise fail(f"{exc} (the plan job's artifact)", 2) from exc
    except Refused as exc:
        if github_output:
            github_files.append(github_files.OUTPUT, f"refused={exc.unit}\n")
        raise fail(str(exc)) from exc
    except (RunError, UnitsError) as exc:
        raise fail(str(exc)) from exc
    if replanned:
        typer.echo(f"plan-apply: planned again after their dependencies moved, as reviewed: {', '.join(replanned)}")
    if github_output:
        github_files.append(github_files.OUTPUT, f"replanned={','.join(replanned)}\n")


@plans_app.command("plan-comment")
def plan_comment_command(
    plan_dir: Annotated[Path, typer.Argument(help="Terragrunt --json-out-dir: <unit>/tfplan.json files.")],
    env: Annotated[str, typer.Option(help="Environment the plans are for.", callback=inputs.env_name)],
    artifact: Annotated[
        str | None, typer.Option(help="The artifact holding the full plans (none: not kept, e.g. a PR's).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option(help="Write the comment here instead of stdout.", callback=inputs.file_to_write)
    ] = None,
    notice: Annotated[
        list[str] | None, typer.Option(help="A line the reviewer must read first (repeatable; empty ones ignored).")
    ] = None,
    github_output: Annotated[
        bool,
        typer.Option(help="Append fingerprint=<sha256>, mocked=true|false, changes=true|false to $GITHUB_OUTPUT."),
    ] = False,
    allow_empty: Annotated[
        bool, typer.Option(help="No plans (no unit affected, `idp units`): say so instead of failing.")
    ] = False,
) -> None:
    """One Markdown PR comment for the env's plans (<= 65,536 characters, secrets masked)."""

    from idp.plans.comment import render as render_comment  # noqa: PLC0415
    from idp.plans.fingerprint import plan_fingerprint  # noqa: PLC0415
    from idp.plans.mocks import mocked_units  # noqa: PLC0415
    from idp.plans.model import load_dir  # noqa: PLC0415

    if not plan_dir.is_dir() and not allow_empty:
        typer.echo(f"error: {plan_dir} is not a folder", err=True)
        raise typer.Exit(2)
    try:
        plans = load_dir(plan_dir) if plan_dir.is_dir() else []
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if not plans and not allow_empty:
        typer.echo(f"error: no tfplan.json under {plan_dir}", err=True)
        raise typer.Exit(2)
    text = render_comment(env, plans, artifact or None, notices=[n for n in notice or [] if n.strip()])
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
    if github_output:
        mocked = "true" if mocked_units(plans) else "false"
        changes = "true" if any(p.has_changes for p in plans) else "false"
        outputs = f"fingerprint={plan_fingerprint(plans)}\nmocked={mocked}\nchanges={changes}\n"
        github_files.append(github_files.OUTPUT, outputs)


@plans_app.command("plan-verify")
def plan_verify_command(
    reviewed: Annotated[Path, typer.Option(help="Plan JSON directory that was reviewed (from the PR/plan job).")],
    current: Annotated[Path, typer.Option(help="Plan JSON directory planned just now.")],
    github_output: Annotated[
        bool, typer.Option(help="Append fingerprint=<sha256> of the fresh plan to $GITHUB_OUTPUT (match or not).")
    ] = False,
) -> None:
    """Exit 0 when the fresh plan is the reviewed one (fingerprints match), 1 with what differs otherwise."""
    from idp.plans.fingerprint import compare, plan_fingerprint  # noqa: PLC0415
    from idp.plans.model import load_dir  # noqa: PLC0415

    for folder in (reviewed, current):
        if not folder.is_dir():
            raise fail(f"{folder} is not a folder of plan JSON files", 2)
    try:
        old, new = load_dir(reviewed), load_dir(current)
    except ValueError as exc:
        raise fail(str(exc), 2) from exc
    if not old or not new:
        raise fail(f"no tfplan.json under {reviewed if not old else current}: nothing to compare", 2)
    verdict = compare(old, new)
    if github_output:
        github_files.append(github_files.OUTPUT, f"fingerprint={plan_fingerprint(new)}\n")
    if verdict.matches:
        typer.echo(f"plan-verify: match (fingerprint {plan_fingerprint(new)})")
        return
    typer.echo("plan-verify: the fresh plan differs from the reviewed one — refusing to apply")
    for line in verdict.differences:
        typer.echo(f"  {line}")
    raise typer.Exit(1)


def register(app: Any) -> None:
    for command in plans_app.registered_commands:
        app.registered_commands.append(command)
