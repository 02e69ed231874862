"""`idp load`: the load test - against a deployed env (the deploy's step in test) or the local stack."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from idp import github_files
from idp.cli_help import command_group
from idp.inputs import EnvOption, api_url, file_to_write
from idp.load.policy import LoadPolicy
from idp.load.result import LoadResult, markdown

load_app = command_group(
    help="Load test: N documents at concurrency C through the signed API, judged against the env's thresholds.",
    no_args_is_help=True,
)

SummaryOption = Annotated[
    bool, typer.Option(help="Also append the report (tables, charts) to $GITHUB_STEP_SUMMARY (the job summary).")
]
OutputOption = Annotated[
    bool, typer.Option(help="Append outcome=, p95_seconds=, per_minute=, error_rate_percent= to $GITHUB_OUTPUT.")
]
RecordOption = Annotated[
    Path | None, typer.Option(help="Also write the result (every document) as JSON here.", callback=file_to_write)
]


def report(
    result: LoadResult,
    policy: LoadPolicy,
    where: str,
    cost: str,
    *,
    summary: bool,
    github_output: bool,
    record: Path | None,
) -> None:
    """Print the report (and to the job summary, outputs, record file); exit 1 on a breach."""
    text = markdown(result, policy, where, cost)
    typer.echo(text)
    breaches = result.breaches(policy)
    if summary:
        github_files.append(github_files.SUMMARY, text + "\n")
    if github_output:
        figures = result.figures()
        github_files.append(
            github_files.OUTPUT,
            f"outcome={'breached' if breaches else 'passed'}\np95_seconds={figures['p95_seconds'] or ''}\n"
            f"per_minute={figures['per_minute']}\nerror_rate_percent={figures['error_rate_percent']}\n",
        )
    if record is not None:
        payload = {
            "policy": policy.as_dict(),
            "figures": result.figures(),
            "breaches": [b.line() for b in breaches],
            "documents": [asdict(d) for d in result.documents],
        }
        record.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    if breaches:
        typer.echo(f"error: the load test breached {len(breaches)} threshold(s): {breaches[0].line()}", err=True)
        raise typer.Exit(1)


@load_app.command("run")
def run(
    env: EnvOption,
    api: Annotated[str, typer.Option(help="The env's API stage URL (terraform output api_url).", callback=api_url)],
    region: Annotated[str | None, typer.Option(help="AWS region (default: the env's, live/<env>).")] = None,
    poll_seconds: Annotated[
        float,
        typer.Option(min=0.5, envvar="IDP_LOAD_POLL_SECONDS", help="How often each document's status is read."),
    ] = 5.0,
    metrics_wait: Annotated[
        float,
        typer.Option(
            min=0,
            envvar="IDP_LOAD_METRICS_WAIT",
            help="Seconds to wait at most for CloudWatch to count the load's calls.",
        ),
    ] = 300.0,
    summary: SummaryOption = False,
    github_output: OutputOption = False,
    record: RecordOption = None,
) -> None:
    """The env's load test (live/environments.hcl `load`), with the caller's AWS credentials (in the
    deploy: the env's apply role). Exits 1 when a threshold is breached - the promotion stops. An env
    without a `load` entry: says so and exits 0."""
    import boto3  # noqa: PLC0415

    from idp.api_client import default_credentials  # noqa: PLC0415
    from idp.environments import environment  # noqa: PLC0415
    from idp.load.metered import cost_report  # noqa: PLC0415
    from idp.load.run import run_swarm, swarm_config  # noqa: PLC0415
    from idp.naming import Names  # noqa: PLC0415
    from idp.release import env_info  # noqa: PLC0415

    policy = environment(env).load
    if policy is None:
        typer.echo(f"no load test for {env}: live/environments.hcl gives it no `load`")
        if github_output:
            github_files.append(github_files.OUTPUT, "outcome=none\n")
        return
    default_credentials()  # none: one line now, not a swarm of refused requests
    info = env_info(env)
    where = region or info.region
    config = swarm_config(api, policy, where, poll_seconds=poll_seconds, document_timeout=policy.max_p95_seconds * 2)
    typer.echo(f"load test of {env}: {policy.describe()}")
    started = datetime.now(UTC)
    result = run_swarm(config)
    names = Names("idp", env, info.account_id, where)
    session: Any = boto3.Session(region_name=where)  # clients by name: the metered services
    cost = cost_report(
        session.client,
        names,
        result,
        started=started,
        end=datetime.now(UTC),
        wait_up_to=metrics_wait,
    )
    report(result, policy, env, cost, summary=summary, github_output=github_output, record=record)


LOCAL = LoadPolicy(
    documents=40,
    concurrency=8,
    max_error_rate_percent=0,
    max_p95_seconds=60,
    min_documents_per_minute=10,
    timeout_minutes=5,
)


@load_app.command("local")
def local(
    documents: Annotated[int, typer.Option(min=1, help="Documents to send.")] = LOCAL.documents,
    concurrency: Annotated[int, typer.Option(min=1, help="Clients sending at once.")] = LOCAL.concurrency,
    max_error_rate: Annotated[float, typer.Option(min=0, max=100, help="Errors allowed, %.")] = 0.0,
    max_p95: Annotated[float, typer.Option(min=1, help="p95 end-to-end seconds allowed.")] = LOCAL.max_p95_seconds,
    min_per_minute: Annotated[float, typer.Option(min=0, help="Documents per minute needed.")] = 10.0,
    timeout_minutes: Annotated[float, typer.Option(min=0.5, help="Bound of the whole load.")] = 5.0,
    record: RecordOption = None,
) -> None:
    """The same load test on the local stack (Terraform applied onto the embedded AWS, as `idp demo`),
    bounded in count and time, loopback only. Exits 1 on a breach."""
    from idp.load.policy import LoadPolicyError  # noqa: PLC0415

    try:
        policy = LoadPolicy.from_data(
            {
                "documents": documents,
                "concurrency": concurrency,
                "max_error_rate_percent": max_error_rate,
                "max_p95_seconds": max_p95,
                "min_documents_per_minute": min_per_minute,
                "timeout_minutes": timeout_minutes,
            },
            "idp load local",
        ).bounded_for_local()
    except LoadPolicyError as exc:
        raise typer.BadParameter(str(exc)) from exc
    from idp.load.local_run import local_load  # noqa: PLC0415

    result, cost = local_load(policy, echo=typer.echo)
    report(result, policy, "the local stack", cost, summary=False, github_output=False, record=record)


def register(app: Any) -> None:
    app.add_typer(load_app, name="load")
