"""`idp` — one entry point, one sub-command per job. Exit codes: 0 ok, 1 check failed, 2 bad usage."""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from idp import github_files, inputs
from idp import lint as lint_gate
from idp.load_cli import register as register_load
from idp.traffic_cli import register as register_traffic

if TYPE_CHECKING:
    from idp.units import Affected

app = typer.Typer(
    name="idp",
    help="IDP platform: local run and the helpers the GitHub workflows call.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@app.callback()
def root_callback() -> None:
    """IDP platform: local run and the helpers the GitHub workflows call."""
    from idp.aws_region import adopt_aws_region  # noqa: PLC0415

    adopt_aws_region()


@app.command("lint")
def lint_command(
    root: Annotated[Path, typer.Option(help="Repository root to check.")] = Path(),
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
    except KeyboardInterrupt:
        applying.stop()
        bar.stop()
        typer.echo(
            "interrupted: Terraform and its provider stopped, the embedded AWS stopped, "
            "the temporary stack folder removed",
            err=True,
        )
        raise typer.Exit(130) from None
    finally:
        applying.stop()
        bar.stop()
    if not keep:  # with --keep, the table was shown before the stack was held open
        render(result, console)
    if not result.ok:
        raise typer.Exit(1)


configs_app = typer.Typer(help="Document-type configs: validate, publish.", no_args_is_help=True)
app.add_typer(configs_app, name="configs")
samples_app = typer.Typer(help="Sample documents and BDA recordings for the local run.", no_args_is_help=True)
app.add_typer(samples_app, name="samples")


@configs_app.command("validate")
def configs_validate(
    directory: Annotated[Path, typer.Argument(help="The doc-configs folder.")] = Path("doc-configs"),
) -> None:
    """Meta-schema, JSON Schema compile and blueprint conversion; every problem as `path: pointer: message`."""
    from idp.configs.validate import load_all  # noqa: PLC0415

    if not directory.is_dir():
        typer.echo(f"error: {directory} is not a folder", err=True)
        raise typer.Exit(2)
    types, problems = load_all(directory)
    for problem in problems:
        typer.echo(str(problem))
    if problems:
        typer.echo(f"doc-configs: {len(problems)} problem(s)", err=True)
        raise typer.Exit(1)
    typer.echo(f"doc-configs: {len(types)} document types valid ({', '.join(sorted(types))})")


@configs_app.command("publish")
def configs_publish(
    env: Annotated[
        str, typer.Option(help="Environment (an entry of live/environments.hcl).", callback=inputs.env_name)
    ],
    directory: Annotated[Path, typer.Option("--dir", help="The doc-configs folder.")] = Path("doc-configs"),
    project: Annotated[str, typer.Option(help="Project prefix of the resource names.")] = "idp",
    region: Annotated[str | None, typer.Option(help="AWS region (default: the SDK's).")] = None,
    dry_run: Annotated[bool, typer.Option(help="Print the changes; change nothing.")] = False,
) -> None:
    """Validate, then publish to the env's config bucket, cache table, BDA blueprints and version parameter."""
    import boto3  # noqa: PLC0415

    from idp.configs.publish import BdaBlueprints, Target, publish  # noqa: PLC0415
    from idp.configs.validate import load_all  # noqa: PLC0415
    from idp.naming import Names  # noqa: PLC0415

    if not directory.is_dir():
        raise _fail(f"{directory} is not a folder (--dir: the doc-configs folder)", 2)
    types, problems = load_all(directory)
    if problems:
        for problem in problems:
            typer.echo(str(problem))
        raise _fail(f"publish refused: doc-configs have {len(problems)} problem(s), listed above")
    session = boto3.session.Session(region_name=region)
    if session.region_name is None:  # STS would answer from its global endpoint; the names need the region
        raise _fail("no AWS region: pass --region or set AWS_REGION", 2)
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
    output: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
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


@app.command("changes")
def changes_command(
    base: Annotated[str | None, typer.Option(help="Base ref (merge base is taken: base...head).")] = None,
    head: Annotated[str, typer.Option(help="Head ref.")] = "HEAD",
    github_output: Annotated[bool, typer.Option(help="Also append the keys to $GITHUB_OUTPUT.")] = False,
    repo: Annotated[Path, typer.Option(help="Repository root.")] = Path(),
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


@app.command("envs")
def envs_command(
    github_output: Annotated[
        bool, typer.Option(help="Append names=<JSON list>, registry=<env>, environments=<JSON> to $GITHUB_OUTPUT.")
    ] = False,
    repo: Annotated[Path, typer.Option(help="Repository root.")] = Path(),
) -> None:
    """The environments in promotion order (live/environments.hcl), checked against live/<env>/account.hcl."""
    from idp.environments import EnvironmentsError, github_outputs  # noqa: PLC0415

    try:
        text = github_outputs(repo.resolve())
    except EnvironmentsError as exc:
        raise _fail(str(exc), 2) from exc
    typer.echo(text, nl=False)
    if github_output:
        github_files.append(github_files.OUTPUT, text)


def _affected(repo: Path, env: str, base: str | None, head: str, *, everything: bool) -> Affected:
    """The units to plan and to destroy in env - one line and exit 2 on bad input."""
    from idp.changes import GitError, detect  # noqa: PLC0415
    from idp.environments import EnvironmentsError, names  # noqa: PLC0415
    from idp.units import Affected, UnitsError  # noqa: PLC0415
    from idp.units import everything as all_units  # noqa: PLC0415

    if (base is None) == (not everything):
        raise _fail("give one of --base REF or --all", 2)
    root = repo.resolve()
    try:
        known = names(root)
        if env not in known:
            raise _fail(f"{env!r} is not in live/environments.hcl (known: {', '.join(known)})", 2)
        if everything:
            return all_units(root, env)
        changes = detect(root, base or "", head)
    except (GitError, EnvironmentsError, UnitsError) as exc:
        raise _fail(str(exc), 2) from exc
    return Affected(changes.units.get(env, []), changes.destroy.get(env, []), changes.trees.get(env, {}))


@app.command("units")
def units_command(
    env: Annotated[str, typer.Option(help="Environment (an entry of live/environments.hcl).")],
    base: Annotated[str | None, typer.Option(help="Base ref: the units changed since base...head.")] = None,
    head: Annotated[str, typer.Option(help="Head ref (the checkout).")] = "HEAD",
    everything: Annotated[bool, typer.Option("--all", help="Every unit of the env (drift, a full redeploy).")] = False,
    repo: Annotated[Path, typer.Option(help="Repository root (a checkout of head).")] = Path(),
) -> None:
    """The minimum set of units a change affects in one env, in dependency order (idp.units)."""
    found = _affected(repo, env, base, head, everything=everything)
    typer.echo(json.dumps({"plan": found.plan, "destroy": found.trees}))


@app.command("plan-run")
def plan_run_command(
    env: Annotated[str, typer.Option(help="Environment (an entry of live/environments.hcl).")],
    out: Annotated[Path, typer.Option(help="The plan folder to make (sets, saved plans, plan JSON).")],
    base: Annotated[str | None, typer.Option(help="Plan the units changed since this commit.")] = None,
    everything: Annotated[bool, typer.Option("--all", help="Plan every unit of the env.")] = False,
    reviewed: Annotated[
        Path | None, typer.Option(help="Plan the same sets as this reviewed plan folder (the apply's check).")
    ] = None,
    github_output: Annotated[
        bool, typer.Option(help="Append planned=true, plan=<count>, destroy=<count> to $GITHUB_OUTPUT.")
    ] = False,
    repo: Annotated[Path, typer.Option(help="Repository root (a checkout of head).")] = Path(),
    refresh: Annotated[
        bool, typer.Option(help="--no-refresh: against the applied state, reading no resource (a PR's plan).")
    ] = True,
) -> None:
    """Plan the affected units with Terragrunt (deleted units as destroys, in the tree that last held them)."""
    from idp.plans.run import PlanFolder, RunError, plan  # noqa: PLC0415
    from idp.units import UnitsError  # noqa: PLC0415

    folder = PlanFolder(out)
    if reviewed is not None:
        if base is not None or everything:
            raise _fail("--reviewed plans the reviewed sets: give no --base or --all with it", 2)
        if not reviewed.is_dir():
            raise _fail(f"{reviewed} is not a plan folder (the plan job's artifact)", 2)
        folder.copy_sets(PlanFolder(reviewed))
    else:
        try:
            folder.write_sets(_affected(repo, env, base, "HEAD", everything=everything))
        except RunError as exc:
            raise _fail(str(exc), 2) from exc
    planned, destroyed = folder.count()
    typer.echo(f"plan-run: {planned} unit(s) to plan, {destroyed} to destroy in {env}")
    try:
        plan(repo.resolve(), env, folder, refresh=refresh)
    except (RunError, UnitsError) as exc:
        raise _fail(str(exc)) from exc
    if github_output:
        github_files.append(github_files.OUTPUT, f"planned=true\nplan={planned}\ndestroy={destroyed}\n")


@app.command("plan-apply")
def plan_apply_command(
    env: Annotated[str, typer.Option(help="Environment (an entry of live/environments.hcl).")],
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
    repo: Annotated[Path, typer.Option(help="Repository root (a checkout of the reviewed commit).")] = Path(),
) -> None:
    """Apply exactly the reviewed plan folder: its destroys, then its saved plans unit by unit in dependency
    order - a dependent whose dependencies moved their outputs only as its reviewed plan with the moved values."""
    from idp.plans.run import PlanFolder, Refused, RunError, apply  # noqa: PLC0415
    from idp.units import UnitsError  # noqa: PLC0415

    if not reviewed.is_dir():
        raise _fail(f"{reviewed} is not a plan folder (the plan job's artifact)", 2)
    if mocked not in {"true", "false"}:
        raise _fail(f"--mocked {mocked!r}: give true or false", 2)
    try:
        replanned = apply(repo.resolve(), env, PlanFolder(reviewed), mocked=mocked == "true", fresh=fresh)
    except Refused as exc:
        if github_output:
            github_files.append(github_files.OUTPUT, f"refused={exc.unit}\n")
        raise _fail(str(exc)) from exc
    except (RunError, UnitsError) as exc:
        raise _fail(str(exc)) from exc
    if replanned:
        typer.echo(f"plan-apply: planned again after their dependencies moved, as reviewed: {', '.join(replanned)}")
    if github_output:
        github_files.append(github_files.OUTPUT, f"replanned={','.join(replanned)}\n")


@app.command("plan-comment")
def plan_comment_command(
    plan_dir: Annotated[Path, typer.Argument(help="Terragrunt --json-out-dir: <unit>/tfplan.json files.")],
    env: Annotated[str, typer.Option(help="Environment the plans are for.", callback=inputs.env_name)],
    artifact: Annotated[
        str | None, typer.Option(help="The artifact holding the full plans (none: not kept, e.g. a PR's).")
    ] = None,
    output: Annotated[Path | None, typer.Option(help="Write the comment here instead of stdout.")] = None,
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


@app.command("plan-verify")
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
            raise _fail(f"{folder} is not a folder of plan JSON files", 2)
    try:
        old, new = load_dir(reviewed), load_dir(current)
    except ValueError as exc:
        raise _fail(str(exc), 2) from exc
    if not old or not new:
        raise _fail(f"no tfplan.json under {reviewed if not old else current}: nothing to compare", 2)
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


tf_app = typer.Typer(help="Terraform run for real: validate every module, pin the provider.", no_args_is_help=True)
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
            raise _fail(f"{len(stale)} lock file(s) stale or missing (first: {stale[0]}); run `idp tf lock`")
        typer.echo(f"{len(unit_dirs())} lock files current")
        return
    for unit in stale:
        (unit / LOCK_FILE).write_text(text)
        typer.echo(str(unit / LOCK_FILE))


register_traffic(app)
register_load(app)

release_app = typer.Typer(help="Deployed releases: env facts, image digest manifests, rollback.", no_args_is_help=True)
app.add_typer(release_app, name="release")


@release_app.command("env")
def release_env(
    env: Annotated[str | None, typer.Option(help="Environment (a folder of live/).")] = None,
    registry: Annotated[
        bool,
        typer.Option("--registry", help="The env whose account holds the registry (live/environments.hcl's first)."),
    ] = False,
    github_output: Annotated[bool, typer.Option(help="Also append the values to $GITHUB_OUTPUT.")] = False,
) -> None:
    """Account id, region, state bucket and role ARNs of an env, read from live/<env>/account.hcl."""

    from idp.environments import registry as registry_env  # noqa: PLC0415
    from idp.release import env_info  # noqa: PLC0415

    if (env is None) == (not registry):
        raise _fail("give one of --env ENV or --registry", 2)
    try:
        info = env_info(env or registry_env())
    except ValueError as exc:
        raise _fail(str(exc), 2) from exc
    typer.echo(info.github_outputs(), nl=False)
    if github_output:
        github_files.append(github_files.OUTPUT, info.github_outputs())


@release_app.command("commit")
def release_commit(
    ref: Annotated[str, typer.Option(help="Commit, tag or branch to deploy.")],
    branch: Annotated[str, typer.Option(help="Only commits on this branch are deployed.")] = "origin/main",
    github_output: Annotated[bool, typer.Option(help="Also append sha=<commit> to $GITHUB_OUTPUT.")] = False,
) -> None:
    """The full SHA every job of a deploy checks out and tags images with; refused if not on the branch."""

    from idp.release import NotReviewedError, deployable_commit  # noqa: PLC0415

    try:
        sha = deployable_commit(ref, branch, Path.cwd())  # the checkout the job runs in
    except NotReviewedError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(sha)
    if github_output:
        github_files.append(github_files.OUTPUT, f"sha={sha}\n")


@release_app.command("digests")
def release_digests(
    env: Annotated[str, typer.Option(help="Environment whose deployed manifest is the base.")],
    built: Annotated[Path | None, typer.Option(help="Folder of digest-<function>.json from the build.")] = None,
    previous: Annotated[bool, typer.Option(help="The manifest before the current one (rollback).")] = False,
    promoted: Annotated[
        Path | None, typer.Option(help="The previous env's promoted-<env> marker: its digests if this env has none.")
    ] = None,
    placeholders: Annotated[
        bool, typer.Option(help="A plan never applied (PR, drift): images not built yet planned as placeholders.")
    ] = False,
    github_output: Annotated[
        bool, typer.Option(help="Append digests=<JSON>, source=, placeholders=<functions> to $GITHUB_OUTPUT.")
    ] = False,
) -> None:
    """Print the image digest map to deploy (JSON): the deployed manifest, overlaid with new builds."""
    import boto3  # noqa: PLC0415

    from idp.release import current_manifest, deploy_digests, previous_manifest, read_built, read_promoted  # noqa: PLC0415

    ssm = boto3.client("ssm")
    try:
        base = previous_manifest(ssm, env) if previous else current_manifest(ssm, env)
        promoted_from, promoted_digests = read_promoted(promoted) if promoted and promoted.is_file() else ("", None)
        result = deploy_digests(
            env,
            base,
            read_built(built) if built else {},
            promoted=promoted_digests,
            promoted_from=promoted_from,
            placeholders=placeholders,
        )
    except (ValueError, OSError) as exc:
        raise _fail(str(exc)) from exc
    if result.placeholders:
        typer.echo(f"{result.source}: no image yet for {', '.join(result.placeholders)} (placeholders)", err=True)
    if github_output:
        github_files.append(
            github_files.OUTPUT,
            f"digests={json.dumps(result.digests)}\nsource={result.source}\n"
            f"placeholders={','.join(result.placeholders)}\n",
        )
    typer.echo(json.dumps(result.digests))


@release_app.command("record")
def release_record(
    env: Annotated[str, typer.Option(help="Environment just deployed and validated.")],
    digests: Annotated[str, typer.Option(help="The JSON digest map that was deployed.")],
    commit: Annotated[str, typer.Option(help="The commit deployed (module code and doc-configs).")],
) -> None:
    """Record the env's release: commit + image digests (SSM keeps the history; a rollback restores it)."""
    import boto3  # noqa: PLC0415

    from idp.release import Release, record_release, validate_digests  # noqa: PLC0415

    values = json.loads(digests)
    problems = validate_digests(values)
    if not re.fullmatch(r"[0-9a-f]{40}", commit):
        problems.append(f"commit {commit!r} is not a full SHA")
    if problems:
        raise _fail("; ".join(problems))
    record_release(boto3.client("ssm"), env, Release(commit, values))
    typer.echo(f"recorded the {env} release: {commit[:12]}")


@release_app.command("protect")
def release_protect(
    env: Annotated[str, typer.Option(help="Environment whose validated release to keep.")],
    digests: Annotated[str, typer.Option(help="The JSON digest map that was deployed.")],
    commit: Annotated[str, typer.Option(help="The commit deployed.")],
) -> None:
    """Tag the release's images in the registry so ECR's lifecycle never expires them (run with the
    image push role, in the registry account)."""
    import boto3  # noqa: PLC0415

    from idp.release import Release, protect_images, validate_digests  # noqa: PLC0415

    values = json.loads(digests)
    problems = validate_digests(values)
    if problems:
        raise _fail("; ".join(problems))
    try:
        tagged = protect_images(boto3.client("ecr"), env, Release(commit, values))
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(f"kept {len(tagged)} images: {tagged[0].split(':', 1)[1]}")


@release_app.command("show")
def release_show(
    env: Annotated[str, typer.Option(help="Environment whose last validated release to show.")],
    checkout: Annotated[
        Path | None, typer.Option(help="Also check its commit out here (a git worktree), for a rollback.")
    ] = None,
    github_output: Annotated[bool, typer.Option(help="Also append commit= and digests= to $GITHUB_OUTPUT.")] = False,
) -> None:
    """The env's last validated release (what a rollback restores); refused if it cannot be restored."""
    import subprocess  # noqa: PLC0415

    import boto3  # noqa: PLC0415

    from idp.release import current_release, restorable  # noqa: PLC0415

    try:
        release = restorable(current_release(boto3.client("ssm"), env), env)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    if checkout is not None:
        added = subprocess.run(
            ["git", "worktree", "add", "--detach", str(checkout), release.commit],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
        if added.returncode != 0:
            raise _fail(f"cannot check out {release.commit[:12]}: {added.stderr.strip().splitlines()[-1]}")
    typer.echo(release.to_json())
    if github_output:
        github_files.append(github_files.OUTPUT, f"commit={release.commit}\ndigests={json.dumps(release.digests)}\n")


@release_app.command("restore")
def release_restore(
    env: Annotated[str, typer.Option(help="Environment to restore.")],
    checkout: Annotated[Path, typer.Option(help="The release's checkout (`idp release show --checkout`).")],
    repo: Annotated[Path, typer.Option(help="Repository root (where the pinned tools are resolved).")] = Path(),
) -> None:
    """Apply every unit of a release's checkout (a rollback; IDP_IMAGE_DIGESTS = its image digests)."""
    from idp.plans.run import RunError, apply_release  # noqa: PLC0415

    if not (checkout / "live" / env).is_dir():
        raise _fail(
            f"{checkout}/live/{env} does not exist: check the release out first (idp release show --checkout)", 2
        )
    try:
        apply_release(repo.resolve(), env, checkout.resolve())
    except RunError as exc:
        raise _fail(str(exc)) from exc


def main() -> None:
    """Run `idp`: every failure is one line on stderr and a non-zero exit, never a traceback.

    IDP_DEBUG=1 re-raises unexpected errors with their traceback (for a bug report).
    """
    from idp.errors import one_line  # noqa: PLC0415

    try:
        # Not standalone: click returns an Exit's code instead of exiting, and raises the rest to here.
        code = app(standalone_mode=False)
    except typer.Abort:
        typer.echo("error: interrupted", err=True)
        sys.exit(130)
    except typer.TyperException as usage:  # typer's click: usage errors (bad option, value, command)
        ctx = getattr(usage, "ctx", None)
        where = ctx.command_path if ctx is not None else "idp"
        typer.echo(f"error: {usage.format_message()} (see `{where} --help`)", err=True)
        sys.exit(getattr(usage, "exit_code", 2))
    except Exception as exc:
        if os.environ.get("IDP_DEBUG") == "1":
            raise
        message, code = one_line(exc)
        typer.echo(f"error: {message}", err=True)
        sys.exit(code)
    sys.exit(code if isinstance(code, int) else 0)
