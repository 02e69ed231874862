"""`idp traffic`: the deploy job's traffic shift after the apply, and the manual rollback (idp.traffic)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from idp import github_files
from idp.cli_help import command_group
from idp.inputs import EnvOption, file_to_write
from idp.traffic import ShiftPolicy, ShiftRecord, TrafficShift

traffic_app = command_group(
    help="Move each function's `live` alias to its new version (canary/linear/all-at-once) or back.",
    no_args_is_help=True,
)

SummaryOption = Annotated[
    bool, typer.Option(help="Also append the record as Markdown to $GITHUB_STEP_SUMMARY (the job summary).")
]
RecordOption = Annotated[Path | None, typer.Option(help="Also write the record as JSON here.", callback=file_to_write)]
OutputOption = Annotated[
    bool, typer.Option(help="Append outcome=, seconds_to_return= and stopped_by= to $GITHUB_OUTPUT (the audit record).")
]


def controller(env: str, region: str | None, poll_seconds: float = 10.0) -> TrafficShift:
    """The env's functions (the naming rule over live/<env>/account.hcl's account) and its alarms."""
    import boto3  # noqa: PLC0415

    from idp.naming import FUNCTIONS, Names  # noqa: PLC0415
    from idp.release import env_info  # noqa: PLC0415

    info = env_info(env)
    where = region or info.region
    names = Names("idp", env, info.account_id, where)
    return TrafficShift(
        boto3.client("lambda", region_name=where),
        boto3.client("cloudwatch", region_name=where),
        [names.function(f) for f in FUNCTIONS],
        f"{names.prefix}-",
        environment=env,
        poll_seconds=poll_seconds,
    )


def report(record: ShiftRecord, summary: bool, record_file: Path | None, github_output: bool, *, failed: bool) -> None:
    typer.echo(record.markdown(), nl=False)
    if summary:
        github_files.append(github_files.SUMMARY, record.markdown() + "\n")
    if github_output:
        seconds = "" if record.seconds_to_return is None else f"{record.seconds_to_return:g}"
        stopped = "" if record.trip is None else record.trip.source
        outputs = f"outcome={record.outcome}\nseconds_to_return={seconds}\nstopped_by={stopped}\n"
        github_files.append(github_files.OUTPUT, outputs)
    if record_file is not None:
        record_file.write_text(record.to_json() + "\n", encoding="utf-8")
    if failed:
        raise typer.Exit(1)


@traffic_app.command("shift")
def shift(
    env: EnvOption,
    region: Annotated[str | None, typer.Option(help="AWS region (default: the env's, live/<env>).")] = None,
    poll_seconds: Annotated[float, typer.Option(min=1, help="How often the alarms are read while shifting.")] = 10.0,
    all_at_once: Annotated[
        bool,
        typer.Option(help="All traffic at once, no alarm stops it: a rollback's restored release (known good)."),
    ] = False,
    summary: SummaryOption = False,
    record: RecordOption = None,
    github_output: OutputOption = False,
) -> None:
    """Shift the functions with a newer version than their alias, as live/environments.hcl says for the
    env, watching its alarms; any alarm (or a new version's errors) returns all traffic at once and
    exits 1. Run after the apply, with the env's apply role."""
    from idp.environments import environment  # noqa: PLC0415

    policy = ShiftPolicy("all-at-once") if all_at_once else environment(env).traffic
    done = controller(env, region, poll_seconds).run(policy, watch=not all_at_once)
    report(done, summary, record, github_output, failed=not done.ok)


@traffic_app.command("rollback")
def rollback(
    env: EnvOption,
    region: Annotated[str | None, typer.Option(help="AWS region (default: the env's, live/<env>).")] = None,
    summary: SummaryOption = False,
    record: RecordOption = None,
    github_output: OutputOption = False,
) -> None:
    """By hand: every function's `live` alias back to the version before the last shift (a shift under
    way: all traffic to its previous version). Seconds, no Terraform apply."""
    report(controller(env, region).rollback(), summary, record, github_output, failed=False)


def register(app: Any) -> None:
    app.add_typer(traffic_app, name="traffic")
