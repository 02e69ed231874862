"""`idp` — one entry point, one sub-command per job. Exit codes: 0 ok, 1 check failed, 2 bad usage."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from idp import lint as lint_gate

app = typer.Typer(
    name="idp",
    help="IDP platform: local run and the helpers the GitHub workflows call.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def root_callback() -> None:
    """IDP platform: local run and the helpers the GitHub workflows call."""


@app.command("lint")
def lint_command(
    root: Annotated[Path, typer.Option(help="Repository root to check.")] = Path(),
    only: Annotated[list[str] | None, typer.Option(help="Run only these checks (repeatable).")] = None,
) -> None:
    """Run the offline lint gate (ruff, mypy, actionlint, zizmor, shellcheck, checkov, ...)."""
    try:
        outcomes = lint_gate.run_checks(root.resolve(), only or ())
    except ValueError as exc:
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
            help="Inject a fault (repeatable): bda-throttling, handler-error, poison-message, duplicate-event, all."
        ),
    ] = None,
    timeout: Annotated[
        float | None, typer.Option(help="Seconds to wait for every document (default scales with N).")
    ] = None,
    verbose: Annotated[bool, typer.Option(help="Show the handlers' JSON logs and EMF metrics.")] = False,
) -> None:
    """Run the whole document flow locally on an embedded AWS (moto) and show what happened."""
    from rich.console import Console  # noqa: PLC0415 - keep `idp --help` fast

    from idp.local.demo import Fault, run_demo  # noqa: PLC0415
    from idp.local.report import ProgressBar, render  # noqa: PLC0415

    chosen = set(faults or [])
    try:
        selected = set(Fault) if "all" in chosen else {Fault(f) for f in chosen}
    except ValueError as exc:
        typer.echo(f"error: {exc}; choose from {[f.value for f in Fault]} or all", err=True)
        raise typer.Exit(2) from exc
    console = Console() if sys.stdout.isatty() else Console(width=140)
    console.print(
        "[bold]IDP demo[/]: embedded AWS (moto) on 127.0.0.1, the real Lambda handlers in-process, "
        "Step Functions executing the real state machine.\n"
        "Bedrock Data Automation runs as a [bold]record/replay double[/] (synthetic recordings in the real "
        "BDA output layout, samples/recordings/)."
    )
    if selected:
        console.print(f"faults injected: {', '.join(sorted(f.value for f in selected))}")
    bar = ProgressBar(console)
    try:
        result = run_demo(documents=documents, faults=selected, timeout=timeout, progress=bar, verbose=verbose)
    finally:
        bar.stop()
    render(result, console)
    if not result.ok:
        raise typer.Exit(1)


def main() -> None:
    app()
