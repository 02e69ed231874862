"""A failed apply of the local stack: Terraform's own error reaches the person, nothing keeps running."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import requests

from idp.errors import one_line
from idp.local import stack as local
from idp.local.aws_server import LocalAwsServer
from idp.terraform import TerraformError

pytestmark = pytest.mark.skipif(shutil.which("terraform") is None, reason="needs terraform (README: Prerequisites)")


def test_a_failed_apply_shows_terraforms_error_and_leaves_nothing_running(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    started: list[str] = []

    class Watched(LocalAwsServer):
        def start(self) -> None:
            super().start()
            started.append(self.endpoint)

    monkeypatch.setattr(local, "LocalAwsServer", Watched)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    bad = local.LocalTimings(max_receive_count=0)  # modules/messaging refuses it (1-1000)
    with pytest.raises(TerraformError) as failed, local.local_stack(timings=bad, work_dir=tmp_path):
        pytest.fail("the stack must not come up")
    assert "max_receive_count must be 1-1000" in failed.value.errors  # Terraform's own words
    message, code = one_line(failed.value)
    assert message.startswith("terraform apply failed (exit 1): Error: Invalid value for variable")
    assert code == 1
    assert len(started) == 1
    with pytest.raises(requests.ConnectionError):
        requests.get(started[0], timeout=2)
    assert "AWS_ENDPOINT_URL" not in os.environ  # the process environment is as it was
