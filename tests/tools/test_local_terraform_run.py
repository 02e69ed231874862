"""The local run's Terraform: Ctrl-C ends Terraform and the provider it started (#22 row 7: once a
terraform-provider-aws process was left running), and an init error gets the provider hint only when it
is about the provider (row 6)."""

from __future__ import annotations

import os
import signal
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


# Stands for terraform on PATH: its "provider" is a child that would run for a minute; the pid is written
# to FAKE_TF_PIDS for the test to look for.
FAKE_TERRAFORM_ON_PATH = """#!{python}
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
with open(os.environ["FAKE_TF_PIDS"], "a") as pids:
    pids.write(f"{{child.pid}}\\n")
time.sleep(60)
"""


@pytest.mark.parametrize(
    ("sent", "code", "word"), [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")]
)
def test_a_signal_during_the_apply_stops_terraform_removes_the_stack_folder_and_says_so(
    sent: signal.Signals, code: int, word: str, tmp_path: Path
) -> None:
    """SIGTERM (a cancelled CI job, `timeout`, `kill`) ended `idp demo` at once: the provider ran on (its
    own process group) and the temporary stack folder stayed. Now it stops as Ctrl-C does."""
    bin_dir, temp, pids = tmp_path / "bin", tmp_path / "tmp", tmp_path / "pids"
    bin_dir.mkdir()
    temp.mkdir()
    fake = bin_dir / "terraform"
    fake.write_text(FAKE_TERRAFORM_ON_PATH.format(python=sys.executable))
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "TMPDIR": str(temp), "FAKE_TF_PIDS": str(pids)}
    demo = subprocess.Popen(
        [sys.executable, "-m", "idp", "demo"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    for _ in range(300):  # terraform init starts once the embedded AWS is up
        if pids.is_file() and pids.read_text().strip():
            break
        time.sleep(0.1)
    provider = int(pids.read_text().split()[0])
    assert list(temp.glob("idp-local-stack-*"))
    demo.send_signal(sent)
    _, stderr = demo.communicate(timeout=30)
    assert demo.returncode == code, stderr
    assert stderr.strip().splitlines()[-1].startswith(f"{word}: Terraform and its provider stopped"), stderr
    assert "Traceback" not in stderr
    for _ in range(50):
        if not alive(provider):
            break
        time.sleep(0.1)
    assert not alive(provider)
    assert not list(temp.glob("idp-local-stack-*"))
