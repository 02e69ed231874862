"""`idp release`: a deployed env's facts, its release manifest (commit + image digests), the commit a
deploy may ship, the tag that keeps a release's images, and the rollback's show/restore (idp.release)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from idp import github_files
from idp.cli_help import command_group
from idp.exits import fail
from idp.inputs import commit_sha, digest_map, env_name, repository_root

release_app = command_group(
    help="Deployed releases: env facts, image digest manifests, rollback.", no_args_is_help=True
)


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
        raise fail("give one of --env ENV or --registry", 2)
    try:
        info = env_info(env or registry_env())
    except ValueError as exc:
        raise fail(str(exc), 2) from exc
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
        raise fail(str(exc)) from exc
    typer.echo(sha)
    if github_output:
        github_files.append(github_files.OUTPUT, f"sha={sha}\n")


@release_app.command("digests")
def release_digests(
    env: Annotated[str, typer.Option(help="Environment whose deployed manifest is the base.", callback=env_name)],
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
        raise fail(str(exc)) from exc
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
    env: Annotated[str, typer.Option(help="Environment just deployed and validated.", callback=env_name)],
    digests: Annotated[str, typer.Option(help="The JSON digest map that was deployed.", callback=digest_map)],
    commit: Annotated[
        str, typer.Option(help="The commit deployed (module code and doc-configs).", callback=commit_sha)
    ],
) -> None:
    """Record the env's release: commit + image digests (SSM keeps the history; a rollback restores it)."""
    import boto3  # noqa: PLC0415

    from idp.release import Release, record_release  # noqa: PLC0415

    record_release(boto3.client("ssm"), env, Release(commit, json.loads(digests)))
    typer.echo(f"recorded the {env} release: {commit[:12]}")


@release_app.command("protect")
def release_protect(
    env: Annotated[str, typer.Option(help="Environment whose validated release to keep.", callback=env_name)],
    digests: Annotated[str, typer.Option(help="The JSON digest map that was deployed.", callback=digest_map)],
    commit: Annotated[str, typer.Option(help="The commit deployed.", callback=commit_sha)],
) -> None:
    """Tag the release's images in the registry so ECR's lifecycle never expires them (run with the
    image push role, in the registry account)."""
    import boto3  # noqa: PLC0415

    from idp.release import Release, protect_images  # noqa: PLC0415

    try:
        tagged = protect_images(boto3.client("ecr"), env, Release(commit, json.loads(digests)))
    except ValueError as exc:
        raise fail(str(exc)) from exc
    typer.echo(f"kept {len(tagged)} images: {tagged[0].split(':', 1)[1]}")


@release_app.command("show")
def release_show(
    env: Annotated[str, typer.Option(help="Environment whose last validated release to show.", callback=env_name)],
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
        raise fail(str(exc)) from exc
    if checkout is not None:
        added = subprocess.run(
            ["git", "worktree", "add", "--detach", str(checkout), release.commit],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
        if added.returncode != 0:
            raise fail(f"cannot check out {release.commit[:12]}: {added.stderr.strip().splitlines()[-1]}")
    typer.echo(release.to_json())
    if github_output:
        github_files.append(github_files.OUTPUT, f"commit={release.commit}\ndigests={json.dumps(release.digests)}\n")


@release_app.command("restore")
def release_restore(
    env: Annotated[str, typer.Option(help="Environment to restore.", callback=env_name)],
    checkout: Annotated[Path, typer.Option(help="The release's checkout (`idp release show --checkout`).")],
    repo: Annotated[
        Path, typer.Option(help="Repository root (where the pinned tools are resolved).", callback=repository_root)
    ] = Path(),
) -> None:
    """Apply every unit of a release's checkout (a rollback; IDP_IMAGE_DIGESTS = its image digests)."""
    from idp.plans.run import RunError, apply_release  # noqa: PLC0415

    if not (checkout / "live" / env).is_dir():
        raise fail(
            f"{checkout}/live/{env} does not exist: check the release out first (idp release show --checkout)", 2
        )
    try:
        apply_release(repo.resolve(), env, checkout.resolve())
    except RunError as exc:
        raise fail(str(exc)) from exc


def register(app: Any) -> None:
    app.add_typer(release_app, name="release")
