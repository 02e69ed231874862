"""How `idp demo` shows a run to a person: a progress bar while it works, then a table."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from idp.local.demo import DemoResult

STATUS_STYLE = {"COMPLETED": "green", "LOW_CONFIDENCE": "yellow", "FAILED": "red", "EXPIRED": "magenta"}


class ProgressBar:
    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("[bold]processing documents"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._task: Any = None

    def start(self, total: int) -> None:
        self._progress.start()
        self._task = self._progress.add_task("documents", total=total)

    def update(self, done: int) -> None:
        self._progress.update(self._task, completed=done)

    def stop(self) -> None:
        self._progress.stop()


class ApplyProgress:
    """Terraform's apply as it runs: how many resources exist and which one it waits on; its summary."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._status = console.status("terraform apply: planning", spinner="dots")
        self.created = 0
        self.summary: str | None = None

    def __call__(self, line: str) -> None:
        if self.created == 0 and self.summary is None:
            self._status.start()
        address, _, what = line.partition(": ")
        if what.startswith("Creation complete after"):
            self.created += 1
            self._status.update(f"terraform apply: {self.created} resources created — {address}")
        elif what.startswith("Still creating..."):
            waited = what.split("[", 1)[-1].rstrip("]")
            self._status.update(f"terraform apply: {self.created} created — waiting on {address} ({waited})")
        elif line.startswith("Apply complete!"):
            self.stop()
            self.summary = line
            self._console.print(f"[bold]terraform[/]: {line}")

    def stop(self) -> None:
        self._status.stop()


def render(result: DemoResult, console: Console) -> None:
    table = Table(title="IDP demo — documents", title_justify="left")
    for column in ("document", "type", "status", "expected", "language", "confidence", "seconds", "states"):
        table.add_column(column, justify="right" if column in {"confidence", "seconds", "states"} else "left")
    for doc in result.documents:
        style = STATUS_STYLE.get(doc.status, "bold red")
        mark = "" if doc.status == doc.expected else " ✗"
        table.add_row(
            doc.label,
            doc.declared_type,
            f"[{style}]{doc.status}[/]{mark}",
            doc.expected.value,
            doc.language or "-",
            f"{doc.confidence:.2f}" if doc.confidence is not None else "-",
            f"{doc.seconds:.1f}" if doc.seconds is not None else "stuck",
            str(doc.transitions) if doc.transitions is not None else "-",
        )
    console.print(table)
    counts: dict[str, int] = {}
    for doc in result.documents:
        counts[doc.status] = counts.get(doc.status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    count = len(result.documents)
    console.print(
        f"[bold]{count} document{'' if count == 1 else 's'}[/] in {result.elapsed:.1f} s "
        f"({result.throughput:.2f} documents/second): {summary}"
    )
    for event in result.events:
        console.print(f"  • {event}")
    for name, (ok, detail) in result.invariants.items():
        console.print(f"  {'[green]✓[/]' if ok else '[red]✗[/]'} {name}: {detail}")
    verdict = "[bold green]PASS[/]" if result.ok else "[bold red]FAIL[/]"
    console.print(f"demo: {verdict}")
