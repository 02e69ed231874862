"""Every `idp` command fails the same way: one line on stderr (what, where, how to fix), a non-zero
exit, never a traceback. Run as the real entry point (`python -m idp`), with no AWS credentials
unless a case gives them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from idp.naming import FUNCTIONS
from tests.conftest import REPO_ROOT

NO_AWS = {
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_REGION": "eu-west-1",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_MAX_ATTEMPTS": "1",
}
FAKE_KEYS = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "not-a-secret"}  # pragma: allowlist secret
UNREACHABLE = {**FAKE_KEYS, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
WHOLE = json.dumps(dict.fromkeys(FUNCTIONS, "sha256:" + "a" * 64))  # a digest map with nothing wrong


def idp(*args: str, env: dict[str, str] | None = None, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GITHUB_", "IDP_"))}
    return subprocess.run(
        [sys.executable, "-m", "idp", *args],
        env={k: v for k, v in (base | NO_AWS | (env or {})).items() if v},  # '' unsets
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


CASES = [
    # (args, extra env, what the line must say, exit code)
    (["configs", "publish", "--env", "dev", "--dry-run"], {}, "no AWS credentials found", 2),
    (["configs", "publish", "--env", "dev", "--dry-run"], UNREACHABLE, "cannot reach AWS", 1),
    (["configs", "publish", "--env", "dev", "--dir", "no-such-dir"], {}, "no-such-dir is not a folder", 2),
    (["configs", "publish", "--env", "dev", "--dir", "tests"], {}, "publish refused: doc-configs have 1 problem", 1),
    (
        ["configs", "publish", "--env", "dev", "--dry-run"],
        FAKE_KEYS | {"AWS_REGION": "", "AWS_DEFAULT_REGION": ""},
        "no AWS region",
        2,
    ),
    (["configs", "validate", "no-such-dir"], {}, "no-such-dir is not a folder", 2),
    (["smoke", "--env", "dev", "--api", "http://127.0.0.1:9"], {}, "no AWS credentials found", 2),
    (["release", "digests", "--env", "dev"], {}, "no AWS credentials found", 2),
    (["release", "digests", "--env", "dev"], UNREACHABLE, "cannot reach AWS", 1),
    (["release", "record", "--env", "dev", "--digests", "{not json", "--commit", "a" * 40], {}, "not valid JSON", 2),
    (["release", "show", "--env", "dev"], {}, "no AWS credentials found", 2),
    (["release", "env", "--env", "nowhere"], {}, "nowhere", 2),
    (
        ["release", "commit", "--ref", "no-such-ref"],
        {},
        "'no-such-ref' is not a commit, tag or branch of this repository",
        1,
    ),
    (["release", "env", "--env", "dev", "--github-output"], {}, "GITHUB_OUTPUT", 2),
    (["plan-comment", "no-such-dir", "--env", "dev"], {}, "no-such-dir is not a folder", 2),
    (["plan-verify", "--reviewed", "no-such-dir", "--current", "tests"], {}, "no-such-dir is not a folder", 2),
    (["plan-verify", "--reviewed", "tests/unit", "--current", "tests"], {}, "no tfplan.json under tests/unit", 2),
    (["changes", "--base", "no-such-ref"], {}, "no-such-ref", 2),
    (["changes"], {}, "give --base REF or --all", 2),
    (["changes", "--all", "--github-output"], {}, "GITHUB_OUTPUT", 2),
    (["demo", "--faults", "nope"], {}, "choose from", 2),
    (["demo", "--documents", "0"], {}, "--documents", 2),
    (["lint", "--only", "nope"], {}, "nope", 2),
    (["openapi", "--output", "no-such-dir/openapi.json"], {}, "no-such-dir/openapi.json", 2),
    (["no-such-command"], {}, "No such command", 2),
    (["smoke", "--env", "dev"], {}, "--api", 2),
    (["tf", "validate"], {"PATH": "/usr/bin:/bin"}, "terraform not found on PATH", 2),
    (["demo"], {"PATH": "/usr/bin:/bin"}, "terraform not found on PATH", 2),
    (["tf", "lock", "--check"], {"PATH": "/usr/bin:/bin"}, "terraform not found on PATH", 2),
    # #22 rows 3, 10, 12: refused while the command line is parsed, before any slow work (idp.inputs)
    (["smoke", "--env", "dev", "--api", "notaurl"], {}, "'notaurl' is not an http(s) URL", 2),
    (["smoke", "--env", "dev", "--api", "http://127.0.0.1:9", "--expected", "BOGUS"], {}, "not a terminal status", 2),
    (["smoke", "--env", "nosuch", "--api", "http://127.0.0.1:9"], {}, "'nosuch' is not in live/environments.hcl", 2),
    (["configs", "publish", "--env", "nosuch"], {}, "'nosuch' is not in live/environments.hcl", 2),
    (["configs", "publish", "--env", "../etc"], {}, "'../etc' is not in live/environments.hcl", 2),
    (["plan-comment", "tests", "--env", "nosuch"], {}, "'nosuch' is not in live/environments.hcl", 2),
    (["demo", "--timeout", "-5"], {}, "-5 is not a number of seconds above 0", 2),
    # every --env is an entry of live/environments.hcl, every commit a full SHA, every digest map whole -
    # refused before AWS is called (the env list knows the envs; a record for 'nosuch' was written)
    (["release", "digests", "--env", "nosuch"], UNREACHABLE, "'nosuch' is not in live/environments.hcl", 2),
    (["release", "show", "--env", "nosuch"], UNREACHABLE, "'nosuch' is not in live/environments.hcl", 2),
    (["release", "record", "--env", "nosuch", "--digests", "{}", "--commit", "a" * 40], UNREACHABLE, "'nosuch'", 2),
    (
        ["release", "record", "--env", "dev", "--digests", "[]", "--commit", "a" * 40],
        UNREACHABLE,
        "not a JSON object",
        2,
    ),
    (["release", "protect", "--env", "dev", "--digests", WHOLE, "--commit", "main"], UNREACHABLE, "full commit SHA", 2),
    (["release", "protect", "--env", "dev", "--digests", "{}", "--commit", "a" * 40], UNREACHABLE, "no digest", 2),
    (["release", "restore", "--env", "../etc", "--checkout", "."], {}, "'../etc' is not in live/environments.hcl", 2),
    (["plan-apply", "--env", "nosuch", "--reviewed", "tests"], {}, "'nosuch' is not in live/environments.hcl", 2),
    (["plan-apply", "--env", "dev", "--reviewed", "tests"], {}, "tests is not a plan folder: no env file", 2),
    (["plan-run", "--env", "dev", "--reviewed", "tests", "--out", "x"], {}, "tests is not a plan folder", 2),
    # a folder to read must exist, and a file written at the end must have a folder to go in - said now,
    # not after the apply, the load or the traffic shift whose record it is
    (["lint", "--root", "no-such-dir"], {}, "no-such-dir is not a folder", 2),
    (
        ["load", "local", "--record", "no-such-dir/load.json"],
        {"PATH": "/usr/bin:/bin"},
        "no-such-dir does not exist",
        2,
    ),
    (["traffic", "shift", "--env", "dev", "--record", "no-such-dir/t.json"], UNREACHABLE, "does not exist", 2),
    (["traffic", "rollback", "--env", "dev", "--record", "tests"], UNREACHABLE, "tests is a folder", 2),
    (["plan-comment", "tests", "--env", "dev", "--output", "no-such-dir/c.md"], {}, "no-such-dir does not exist", 2),
    # #21: the load test refuses before any load
    (["load", "run", "--env", "test", "--api", "notaurl"], {}, "'notaurl' is not an http(s) URL", 2),
    (["load", "run", "--env", "nosuch", "--api", "https://x.example/a"], {}, "'nosuch' is not in live/environments", 2),
    (["load", "run", "--env", "test", "--api", "https://x.example/test"], {}, "no AWS credentials found", 2),
    (["load", "run", "--env", "dev", "--api", "https://x.example/dev", "--github-output"], {}, "GITHUB_OUTPUT", 2),
    (["load", "local", "--concurrency", "50", "--documents", "60"], {}, "a local load test is bounded", 2),
]


@pytest.mark.parametrize(("args", "env", "says", "code"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_each_failure_is_one_line_and_a_non_zero_exit(
    args: list[str], env: dict[str, str], says: str, code: int
) -> None:
    result = idp(*args, env=env)
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode == code, result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    assert says in lines[0]


def test_idp_debug_shows_the_traceback_for_a_bug_report() -> None:
    result = idp("configs", "publish", "--env", "dev", "--dry-run", env={"IDP_DEBUG": "1"})
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_aws_region_alone_is_the_region_as_for_the_aws_cli(monkeypatch: pytest.MonkeyPatch, embedded_aws: Any) -> None:
    """Before: `no AWS region` with AWS_REGION set and AWS_DEFAULT_REGION not (botocore reads only the
    latter); AWS_REGION also outranks AWS_DEFAULT_REGION, as in the AWS CLI."""
    from typer.testing import CliRunner

    from idp.cli import app

    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", embedded_aws.endpoint)
    result = CliRunner().invoke(app, ["release", "digests", "--env", "dev", "--placeholders"])
    assert result.exit_code == 0, result.output
    assert "no AWS region" not in result.output
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    CliRunner().invoke(app, ["release", "digests", "--env", "dev", "--placeholders"])
    assert os.environ["AWS_DEFAULT_REGION"] == "eu-west-1"  # AWS_REGION wins


@pytest.mark.parametrize("command", ["plan-comment", "plan-verify"])
def test_a_plan_json_of_the_wrong_shape_is_one_line_not_a_crash(command: str, tmp_path: Path) -> None:
    """A plan whose resource_changes is a string crashed with AttributeError; for plan-verify that exit
    meant "plans differ" (#22 row 4)."""
    unit = tmp_path / "dev" / "api"
    unit.mkdir(parents=True)
    (unit / "tfplan.json").write_text('{"format_version": "1.2", "resource_changes": "oops"}')
    args = (
        [command, str(tmp_path), "--env", "dev"]
        if command == "plan-comment"
        else [command, "--reviewed", str(tmp_path), "--current", str(tmp_path)]
    )
    result = idp(*args)
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr
    assert "resource_changes is a str, not a list" in lines[0]


def test_ctrl_c_during_the_demo_is_one_line_and_exit_130(monkeypatch: pytest.MonkeyPatch) -> None:
    """#22 row 7: nothing was printed. The cleanup itself (Terraform's process group, the temporary
    folder, the server) is local_stack's and terraform_stack's (tests/tools/test_local_terraform_run.py)."""
    from typer.testing import CliRunner

    from idp import terraform
    from idp.cli import app
    from idp.local import demo

    def interrupted(**_: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(demo, "run_demo", interrupted)
    monkeypatch.setattr(terraform, "terraform_binary", lambda: "terraform")
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 130
    assert result.output.strip().splitlines()[-1].startswith("interrupted: Terraform and its provider stopped")


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [("--bogus", None), ("--verbos", "--verbose"), ("--documnets", "--documents"), ("--timout", "--timeout")],
)
def test_a_mistyped_option_is_suggested_only_when_its_name_is_close(
    typed: str, suggested: str | None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """#22 row 15: `idp demo --bogus` suggested `--verbose` - click compares the names with their
    dashes, and the two shared dashes alone pass difflib's cutoff (idp.cli_help)."""
    from idp.cli import main

    monkeypatch.setattr(sys, "argv", ["idp", "demo", typed])
    with pytest.raises(SystemExit) as stopped:
        main()
    line = capsys.readouterr().err.strip()
    assert stopped.value.code == 2
    assert line.startswith(f"error: No such option: {typed}")
    if suggested is None:
        assert "Possible options" not in line, line
    else:
        assert f"Possible options: {suggested}" in line or f", {suggested})" in line, line


def _command_paths(command: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for name, sub in getattr(command, "commands", {}).items():
        found += _command_paths(sub, (*path, name))
    return found


def test_every_help_fits_80_columns_and_shows_a_flag_as_a_flag() -> None:
    """#22 row 15: every option list showed `--help <bool>` and `--verbose --no-verbose <bool>` (a value
    column for flags, typer's rich panels), and cut cells with `…` on an 80-column terminal."""
    import typer.main
    from typer.testing import CliRunner

    from idp.cli import app

    paths = _command_paths(typer.main.get_command(app))
    assert len(paths) > 30  # every command and group of idp
    for path in paths:
        shown = CliRunner().invoke(app, [*path, "--help"], terminal_width=80).output
        where = "idp " + " ".join(path)
        assert "Usage: idp" in shown, where
        assert "<bool>" not in shown, where
        assert "…" not in shown, where
        assert max(len(line) for line in shown.splitlines()) <= 80, where
        assert "--help  " in shown or "--help " in shown, where
    demo = CliRunner().invoke(app, ["demo", "--help"], terminal_width=80).output
    assert "--verbose / --no-verbose" in demo


def test_a_command_run_from_a_subfolder_works_on_the_repository_it_is_in(tmp_path: Path) -> None:
    """Run from docs/, `idp lint` checked nothing and passed ("nothing to check yet", exit 0) and the plan
    commands failed on docs/live/environments.hcl: the repository is now found as git finds its own."""
    listed = idp("envs", cwd=REPO_ROOT / "docs")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[0] == 'names=["dev", "test", "prod"]'
    linted = idp("lint", "--only", "doc-configs", cwd=REPO_ROOT / "docs")
    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert "PASS  doc-configs" in linted.stdout
    assert "nothing to check" not in linted.stdout
    outside = idp("lint", "--only", "doc-configs", cwd=tmp_path)
    assert outside.returncode == 2
    assert outside.stderr.strip().splitlines() == [
        f"error: Invalid value for '--root': no live/environments.hcl in {tmp_path} or a folder above it: run idp"
        " inside the repository, or give its root (see `python -m idp lint --help`)"
    ]
