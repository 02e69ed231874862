"""`idp` — one entry point, one sub-command per job. Exit codes: 0 ok, 1 check failed, 2 bad usage."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from idp import inputs
from idp import lint as lint_gate
from idp.cli_help import command_group, usage_message
from idp.exits import fail, say_stopped, stop_on_signals
from idp.load_cli import register as register_load
from idp.plans_cli import register as register_plans
from idp.release_cli import register as register_release
from idp.traffic_cli import register as register_traffic

if TYPE_CHECKING:
    pass

app = command_group(
    name="idp",
    help="IDP platform: local run and the helpers the GitHub workflows call.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def root_callback() -> None:
    """IDP platform: local run and the helpers the GitHub workflows call."""
    from idp.aws_region import adopt_aws_region  # noqa: PLC0415

    adopt_aws_region()


@app.command("lint")
def lint_command(
    root: Annotated[
        Path,
        typer.Option(
            help="Repository root to check (default: the one this folder is in).", callback=inputs.repository_root
        ),
    ] = Path(),
    only: Annotated[list[str] | None, typer.Option(help="Run only these checks (repeatable).")] = None,
    quick: Annotated[
        bool,
        typer.Option(help="Only the quick checks what changed since --base can affect (`make check`)."),
    ] = False,
    base: Annotated[str, typer.Option(help="With --quick: compare with this ref's merge base.")] = "main",
) -> None:
    """Run the offline lint gate (ruff, mypy, actionlint, zizmor, shellcheck, checkov, ...)."""
    from idp.quick_check import GATE_ONLY, QuickCheckError, changed_files, checks_for  # noqa: PLC0415

    try:
        names = list(only or ())
        if quick:
            changed, compared = changed_files(root.resolve(), base)
            names = [name for name in checks_for(changed) if not only or name in only]
            typer.echo(
                f"quick lint: {len(changed)} file(s) changed since {compared} -> {', '.join(names) or 'no check'}"
                f" ({', '.join(GATE_ONLY)}: `make test`)"
            )
            if not names:
                return
        outcomes = lint_gate.run_checks(root.resolve(), names)
    except (ValueError, QuickCheckError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(lint_gate.render(outcomes))
    if any(o.status is lint_gate.Status.FAILED for o in outcomes):
        raise typer.Exit(1)


@app.command("demo")
def demo_command(
    documents: Annotated[
        int | None, typer.Option(min=1, max=5000, help="Scale the run: this many documents, cycling the samples.")
    ] = None,
    faults: Annotated[
        list[str] | None,
        typer.Option(
            help="Inject a fault (repeatable): bda-throttling, handler-error, poison-message, duplicate-event, "
            "stuck-job, callback-down, bad-release, all."
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            help="Seconds to wait for every document (default scales with N).", callback=inputs.positive_seconds
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option(help="Show the handlers' JSON logs and EMF metrics.")] = False,
    keep: Annotated[
        bool, typer.Option(help="Leave the stack running after the run, for curl and `idp smoke`.")
    ] = False,
) -> None:
    """Run the whole document flow locally on an embedded AWS (moto) and show what happened."""
    from rich.console import Console  # noqa: PLC0415 - keep `idp --help` fast

    from idp.local.demo import DemoResult, Fault, run_demo  # noqa: PLC0415
    from idp.local.report import ApplyProgress, ProgressBar, render  # noqa: PLC0415
    from idp.terraform import TerraformError, terraform_binary  # noqa: PLC0415

    chosen = set(faults or [])
    try:
        selected = set(Fault) if "all" in chosen else {Fault(f) for f in chosen}
    except ValueError as exc:
        typer.echo(f"error: {exc}; choose from {[f.value for f in Fault]} or all", err=True)
        raise typer.Exit(2) from exc
    console = Console() if sys.stdout.isatty() else Console(width=140)
    terraform_binary()  # no terraform: one line saying how to get it, before anything starts
    console.print(
        "[bold]IDP demo[/]: every AWS module applied with Terraform (live/_units, the real hashicorp/aws "
        "provider) onto an embedded AWS (moto) on 127.0.0.1; the real Lambda handlers in-process, "
        "Step Functions executing the state machine as applied.\n"
        "Bedrock Data Automation runs as a [bold]record/replay double[/] (synthetic recordings in the real "
        "BDA output layout, samples/recordings/)."
    )
    if selected:
        console.print(f"faults injected: {', '.join(sorted(f.value for f in selected))}")

    def hold(result: DemoResult, api_url: str, aws_endpoint: str) -> None:
        bar.stop()
        render(result, console)
        console.print(
            f"[bold]stack kept running[/] — API: {api_url}  (embedded AWS: {aws_endpoint})\n"
            f"  curl --aws-sigv4 aws:amz:eu-west-1:execute-api --user local:local {api_url}/health  (signed)\n"
            f"  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local idp smoke --env local --api {api_url}\n"
            "Ctrl-C to stop."
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            console.print("stopping the stack")

    bar = ProgressBar(console)
    applying = ApplyProgress(console)
    try:
        result = run_demo(
            documents=documents,
            faults=selected,
            timeout=timeout,
            progress=bar,
            verbose=verbose,
            keep=hold if keep else None,
            apply_progress=applying,
        )
    except TerraformError as failed:
        applying.stop()
        console.print(failed.errors, markup=False, highlight=False)  # Terraform's own error
        raise
    except KeyboardInterrupt as stop:  # Ctrl-C or SIGTERM: the stack's context managers have cleaned up
        applying.stop()
        bar.stop()
        detail = "Terraform and its provider stopped, the embedded AWS stopped, the temporary stack folder removed"
        raise typer.Exit(say_stopped(stop, detail)) from None
    finally:
        applying.stop()
        bar.stop()
    if not keep:  # with --keep, the table was shown before the stack was held open
        render(result, console)
    if not result.ok:
        raise typer.Exit(1)


configs_app = command_group(help="Document-type configs: validate, publish.", no_args_is_help=True)
app.add_typer(configs_app, name="configs")
samples_app = command_group(help="Sample documents and BDA recordings for the local run.", no_args_is_help=True)
app.add_typer(samples_app, name="samples")


@configs_app.command("validate")
def configs_validate(
    directory: Annotated[Path, typer.Argument(help="The doc-configs folder.", callback=inputs.existing_folder)] = Path(
        "doc-configs"
    ),
) -> None:
    """Meta-schema, JSON Schema compile and blueprint conversion; every problem as `path: pointer: message`."""
    from idp.configs.validate import load_all  # noqa: PLC0415

    types, problems = load_all(directory)
    for problem in problems:
        typer.echo(str(problem))
    if problems:
        typer.echo(f"doc-configs: {len(problems)} problem(s)", err=True)
        raise typer.Exit(1)
    typer.echo(f"doc-configs: {len(types)} document types valid ({', '.join(sorted(types))})")


@configs_app.command("publish")
def configs_publish(
    env: inputs.EnvOption,
    directory: Annotated[
        Path, typer.Option("--dir", help="The doc-configs folder.", callback=inputs.existing_folder)
    ] = Path("doc-configs"),
    project: Annotated[str, typer.Option(help="Project prefix of the resource names.")] = "idp",
    region: Annotated[str | None, typer.Option(help="AWS region (default: the SDK's).")] = None,
    dry_run: Annotated[bool, typer.Option(help="Print the changes; change nothing.")] = False,
) -> None:
    """Validate, then publish to the env's config bucket, cache table, BDA blueprints and version parameter."""
    import boto3  # noqa: PLC0415

    from idp.configs.publish import BdaBlueprints, Target, publish  # noqa: PLC0415
    from idp.configs.validate import load_all  # noqa: PLC0415
    from idp.naming import Names  # noqa: PLC0415

    types, problems = load_all(directory)
    if problems:
        for problem in problems:
            typer.echo(str(problem))
        raise fail(f"publish refused: doc-configs have {len(problems)} problem(s), listed above")
    session = boto3.session.Session(region_name=region)
    if session.region_name is None:  # STS would answer from its global endpoint; the names need the region
        raise fail("no AWS region: pass --region or set AWS_REGION", 2)
    account = session.client("sts").get_caller_identity()["Account"]
    names = Names(project, env, account, session.region_name)
    report = publish(
        types,
        s3=session.client("s3"),
        dynamodb=session.client("dynamodb"),
        ssm=session.client("ssm"),
        blueprints=BdaBlueprints(session.client("bedrock-data-automation")),
        target=Target.of(names),
        dry_run=dry_run,
    )
    for change in report.changes:
        typer.echo(("would " if dry_run else "") + change)
    typer.echo(f"config version {report.version}: {len(report.changes)} change(s){' (dry run)' if dry_run else ''}")


@samples_app.command("generate")
def samples_generate() -> None:
    """Regenerate samples/ (documents, synthetic BDA recordings, manifest) deterministically."""
    from idp.local.samples import generate  # noqa: PLC0415

    for path in generate():
        typer.echo(str(path))


@app.command("openapi")
def openapi_command(
    output: Annotated[
        Path | None, typer.Option(help="Write here instead of stdout.", callback=inputs.file_to_write)
    ] = None,
) -> None:
    """The API's OpenAPI document, generated from the Powertools resolver (committed as docs/openapi.json);
    with --output, API Gateway's request model from the same schema too (modules/api)."""
    from idp.openapi import REQUEST_MODEL_PATH, openapi_json, request_model_json  # noqa: PLC0415
    from idp.paths import REPO_ROOT  # noqa: PLC0415

    text = openapi_json()
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text)
        (REPO_ROOT / REQUEST_MODEL_PATH).write_text(request_model_json())


@app.command("smoke")
def smoke_command(
    env: Annotated[
        str,
        typer.Option(
            help="Environment under test (for the report; `local` for idp demo --keep).", callback=inputs.env_or_local
        ),
    ],
    api: Annotated[
        str, typer.Option(help="API base URL (the stage URL).", envvar="IDP_API_URL", callback=inputs.api_url)
    ],
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for the document to finish.", callback=inputs.positive_seconds)
    ] = 300,
    expected: Annotated[
        str, typer.Option(help="Terminal status the sample must reach.", callback=inputs.terminal_status)
    ] = "COMPLETED",
    region: Annotated[
        str,
        typer.Option(help="Region to sign for (taken from an execute-api URL when it names one).", envvar="AWS_REGION"),
    ] = "eu-west-1",
) -> None:
    """Post-deploy checks, SigV4-signed with the caller's AWS credentials: health, unsigned refused, a sample
    uploaded and polled to a terminal status, its result."""
    from idp.smoke import run_smoke  # noqa: PLC0415

    report = run_smoke(api, timeout=timeout, expected=expected, region=region)
    typer.echo(f"smoke ({env}, {api}):")
    typer.echo(report.render())
    if not report.ok:
        raise typer.Exit(1)


@app.command("module-docs")
def module_docs_command() -> None:
    """Regenerate modules/*/README.md (purpose, inputs, outputs) from the Terraform sources."""
    from idp.module_docs import write_all  # noqa: PLC0415

    for path in write_all():
        typer.echo(str(path))


tf_app = command_group(help="Terraform run for real: validate every module, pin the provider.", no_args_is_help=True)
app.add_typer(tf_app, name="tf")


@tf_app.command("validate")
def tf_validate() -> None:
    """`terraform validate` of every module with the real provider (a mirror where installed, else the registry)."""
    from idp.terraform import validate_all  # noqa: PLC0415

    results = validate_all()
    for result in results:
        typer.echo(f"{result.status.upper():<7} {result.module}{': ' + result.detail if result.detail else ''}")
    if any(r.status == "failed" for r in results):
        raise typer.Exit(1)


@tf_app.command("lock")
def tf_lock(
    check: Annotated[bool, typer.Option(help="Only check that every unit's lock file is current.")] = False,
) -> None:
    """Write live/**/.terraform.lock.hcl: every unit installs the hashicorp/aws build the tests run."""
    from idp.terraform import LOCK_FILE, lock_file_text, unit_dirs  # noqa: PLC0415

    text = lock_file_text()
    stale = [u for u in unit_dirs() if not (u / LOCK_FILE).is_file() or (u / LOCK_FILE).read_text() != text]
    if check:
        if stale:
            raise fail(f"{len(stale)} lock file(s) stale or missing (first: {stale[0]}); run `idp tf lock`")
        typer.echo(f"{len(unit_dirs())} lock files current")
        return
    for unit in stale:
        (unit / LOCK_FILE).write_text(text)
        typer.echo(str(unit / LOCK_FILE))


register_plans(app)
register_traffic(app)
register_load(app)
register_release(app)


def main() -> None:
    """Run `idp`: every failure is one line on stderr and a non-zero exit, never a traceback.

    IDP_DEBUG=1 re-raises unexpected errors with their traceback (for a bug report).
    """
    try:
        # Not standalone: click returns an Exit's code instead of exiting, and raises the rest to here.
        with stop_on_signals() as stopped:
            code = app(standalone_mode=False)
        if stopped.signal is not None:  # typer made the KeyboardInterrupt exit 130, whichever signal it was
            if not stopped.said:
                typer.echo(f"error: {stopped.word}", err=True)
            sys.exit(128 + stopped.signal)
    except typer.Abort:  # click's word for end of input at a prompt
        typer.echo("error: interrupted", err=True)
        sys.exit(130)
    except typer.TyperException as usage:  # typer's click: usage errors (bad option, value, command)
        ctx = getattr(usage, "ctx", None)
        where = ctx.command_path if ctx is not None else "idp"
        typer.echo(f"error: {usage_message(usage)} (see `{where} --help`)", err=True)
        sys.exit(getattr(usage, "exit_code", 2))
    except Exception as exc:
        if os.environ.get("IDP_DEBUG") == "1":
            raise
        from idp.errors import one_line  # noqa: PLC0415 - only on a failure: it imports boto3 (~0.15 s a start)

        message, code = one_line(exc)
        typer.echo(f"error: {message}", err=True)
        sys.exit(code)
    sys.exit(code if isinstance(code, int) else 0)
