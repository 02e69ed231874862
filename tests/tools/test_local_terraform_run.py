"""The local run's Terraform: Ctrl-C ends Terraform and the provider it started (#22 row 7: once a
terraform-provider-aws process was left running), and an init error gets the provider hint only when it
is about the provider (row 6)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from idp.local.terraform_stack import stop_group

# Stands for terraform: starts a long-lived child (its provider), says so, then waits.
FAKE_TERRAFORM = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print(child.pid, flush=True)
time.sleep(60)
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead: its parent has not reaped it yet
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split()[2] == "Z")


def test_an_interrupt_ends_terraform_and_the_processes_it_started(tmp_path: Path) -> None:
    script = tmp_path / "terraform.py"
    script.write_text(FAKE_TERRAFORM)
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert proc.stdout is not None
    provider = int(proc.stdout.readline())
    assert alive(provider)
    started = time.monotonic()
    stop_group(proc, grace=3)
    assert proc.poll() is not None
    for _ in range(50):  # the provider is re-parented to init, which reaps it
        if not alive(provider):
            break
        time.sleep(0.1)
    assert not alive(provider)  # without the group signal: still running (sleeps 60 s)
    assert time.monotonic() - started < 10


def test_the_local_stack_stops_its_terraform_when_interrupted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The run loop: an interrupt while Terraform streams its output stops the whole group, then goes on up."""
    from idp.local import terraform_stack

    script = tmp_path / "terraform.py"
    script.write_text(FAKE_TERRAFORM)
    stack = terraform_stack.LocalStack.__new__(terraform_stack.LocalStack)
    stack.work_dir, stack._env, stack._binary = tmp_path, dict(os.environ), sys.executable
    seen: list[int] = []

    def interrupted(line: str) -> None:
        seen.append(int(line))
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        stack._run([str(script)], interrupted)
    for _ in range(50):
        if not alive(seen[0]):
            break
        time.sleep(0.1)
    assert not alive(seen[0])


def test_the_provider_hint_comes_only_with_a_provider_error() -> None:
    """#22 row 6: a syntax error in a module got the hint about where the provider comes from."""
    from idp.local.terraform_stack import provider_hint

    syntax = "Error: Argument or block definition required\n\n  on main.tf line 3, in resource ..."
    offline = (
        "Error: Failed to query available provider packages\n\nCould not retrieve the list of available "
        "versions for provider hashicorp/aws: could not connect to registry.terraform.io"
    )
    assert provider_hint(syntax) == ""
    assert "IDP_TF_PROVIDER_MIRROR" in provider_hint(offline)
