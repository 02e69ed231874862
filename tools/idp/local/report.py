"""How `idp demo` shows a run to a person: a progress bar while it works, then a table."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from idp.costs import Usage, estimate
from idp.local.demo import DemoResult, cost_by_type

LINES = {  # usage field -> how the cost line reads
    "bda_pages": "BDA pages",
    "sfn_transitions": "Step Functions transitions",
    "lambda_gb_seconds": "Lambda duration",
    "lambda_requests": "Lambda requests",
    "dynamodb_write_units": "DynamoDB writes",
    "dynamodb_read_units": "DynamoDB reads",
    "sqs_requests": "SQS requests",
    "s3_put_requests": "S3 PUTs",
    "s3_get_requests": "S3 GETs",
    "api_requests": "API requests",
}
LOG_EVERY = 25  # without a terminal: a progress line every this many resources created ...
LOG_WAITS_EVERY = 30  # ... and every this many seconds of one resource's wait
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
        if self.created == 0 and self.summary is None and self._console.is_terminal:
            self._status.start()
        address, _, what = line.partition(": ")
        if what.startswith("Creation complete after"):
            self.created += 1
            self._say(f"terraform apply: {self.created} resources created — {address}", self.created % LOG_EVERY == 0)
        elif what.startswith("Still creating..."):
            waited = what.split("[", 1)[-1].rstrip("]")
            seconds = waited.split()[0].removesuffix("s")
            long_wait = seconds.isdigit() and int(seconds) % LOG_WAITS_EVERY == 0
            self._say(f"terraform apply: {self.created} created — waiting on {address} ({waited})", long_wait)
        elif line.startswith("Apply complete!"):
            self.stop()
            self.summary = line
            self._console.print(f"[bold]terraform[/]: {line}")

    def _say(self, text: str, log_it: bool) -> None:
        """A terminal gets a live status line; a log (no terminal) a line now and then, so a person
        tailing `make demo > log` sees it move."""
        if self._console.is_terminal:
            self._status.update(text)
        elif log_it:
            self._console.print(text, markup=False, highlight=False)

    def stop(self) -> None:
        self._status.stop()


NARROW = 100  # below this many columns, the tables drop borders and spell less (#22: 80 columns)


def render(result: DemoResult, console: Console) -> None:
    narrow = console.width < NARROW
    table = Table(title="IDP demo — documents", title_justify="left", box=box.SIMPLE_HEAD if narrow else box.HEAVY_HEAD)
    # Narrow: "expected" folds into the status cell (shown only where it differs); nothing is cut with
    # "…": a long label wraps, so every row stays told apart.
    columns = ["document", "type", "status"] + ([] if narrow else ["expected"])
    columns += ["lang", "conf", "s", "states"] if narrow else ["language", "confidence", "seconds", "states"]
    for column in columns:
        right = column in {"confidence", "conf", "seconds", "s", "states"}
        # the label folds; a status or type keeps its width whole (they are what rows are read by)
        width = {"type": len("drivers-license"), "status": len("LOW_CONFIDENCE")}.get(column)
        folds = column in {"document", "status"}
        table.add_column(
            column, justify="right" if right else "left", overflow="fold", no_wrap=not folds, min_width=width
        )
    for doc in result.documents:
        style = STATUS_STYLE.get(doc.status, "bold red")
        mark = "" if doc.status == doc.expected else " ✗"
        status = f"[{style}]{doc.status}[/]{mark}"
        if narrow and mark:
            status += f" expected {doc.expected.value}"
        cells = [doc.label, doc.declared_type, status] + ([] if narrow else [doc.expected.value])
        cells += [
            doc.language or "-",
            f"{doc.confidence:.2f}" if doc.confidence is not None else "-",
            f"{doc.seconds:.1f}" if doc.seconds is not None else "stuck",
            str(doc.transitions) if doc.transitions is not None else "-",
        ]
        table.add_row(*cells)
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
    render_costs(result, console)
    for event in result.events:
        console.print(f"  • {event}")
    for name, (ok, detail) in result.invariants.items():
        console.print(f"  {'[green]✓[/]' if ok else '[red]✗[/]'} {name}: {detail}")
    verdict = "[bold green]PASS[/]" if result.ok else "[bold red]FAIL[/]"
    console.print(f"demo: {verdict}")


def render_costs(result: DemoResult, console: Console) -> None:
    """The estimated cost per processed document, by type (idp.costs with the region's price list)."""
    rows = cost_by_type(result)
    if not rows or result.prices is None:
        return
    prices = result.prices
    table = Table(
        title=f"Estimated cost per document ({prices.currency}, {prices.region} list prices of {prices.version})",
        title_justify="left",
        caption="Lambda durations measured in-process here, not on Lambda: an estimate (idp.local.usage).",
        caption_justify="left",
    )
    narrow = console.width < NARROW
    table.box = box.SIMPLE_HEAD if narrow else box.HEAVY_HEAD
    wide = ("type", "docs", "Lambda GB-s", "transitions", "BDA pages", "per document", "per 1,000")
    short = ("type", "docs", "GB-s", "states", "pages", "$/doc", "$/1,000")
    for column in short if narrow else wide:
        table.add_column(column, justify="left" if column == "type" else "right", overflow="fold")
    for kind, count, usd, usage in rows:
        table.add_row(
            kind, str(count), f"{usage.lambda_gb_seconds:.3f}", f"{usage.sfn_transitions:g}",
            f"{usage.bda_pages:g}", f"${usd:.4f}", f"${usd * 1000:.2f}",
        )  # fmt: skip
    console.print(table)
    total, count = Usage(), 0
    for _, docs, _, usage in rows:
        total, count = total + usage.scaled(docs), count + docs
    mean = estimate(total.scaled(1 / count), prices)
    shares = ", ".join(f"{LINES.get(name, name)} ${usd:.5f} ({usd / mean.total:.1%})" for name, usd in mean.largest(3))
    console.print(f"  a processed document: ${mean.total:.4f} on average; the largest lines: {shares}")
