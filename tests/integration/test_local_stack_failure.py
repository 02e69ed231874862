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
from idp.local.terraform_stack import Progress
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


def losing_answers(lost: int, applied: list[str]) -> type[local.LocalStack]:
    """A LocalStack whose first `lost` applies lose an answer: Terraform's part played over the real
    server - a create, its retry with the same request, and the error the retry ends in."""

    class LosesAnswers(local.LocalStack):
        def init(self) -> None:
            pass

        def apply(self, progress: Progress | None = None) -> float:
            applied.append(self.server.endpoint)
            kms = self.server.client("kms")
            key = kms.create_key()["KeyMetadata"]["KeyId"]
            with self.server.phase("apply"):
                kms.create_alias(AliasName="alias/terraform-state", TargetKeyId=key)
                if len(applied) <= lost:  # the answer "lost": the same request again
                    try:
                        kms.create_alias(AliasName="alias/terraform-state", TargetKeyId=key)
                    except kms.exceptions.AlreadyExistsException as exc:
                        raise TerraformError("apply", 1, f"Error: creating KMS Alias: {exc}") from exc
            return 0.0

    return LosesAnswers


def test_an_apply_that_failed_on_a_lost_answer_runs_once_more_on_a_fresh_embedded_aws(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The provider's retry of a create whose answer it lost meets the resource it made ("already
    exists", CI on 2e0fd0e): the local layer applies again on a fresh server, and says so."""
    applied: list[str] = []
    monkeypatch.setattr(local, "LocalStack", losing_answers(1, applied))
    (tmp_path / "terraform.tfstate").write_text("{}")  # what the failed apply left
    server, terraform = local._applied(tmp_path, local.LocalTimings(), None)
    try:
        assert len(applied) == 2
        assert applied[0] != server.endpoint  # the second apply met a fresh server
        assert terraform.server is server
        assert server.recorder.lost_answers("apply") == []
        assert not (tmp_path / "terraform.tfstate").exists()  # and started from no state
        assert capsys.readouterr().err == (
            "the embedded AWS lost an answer (kms CreateAlias succeeded, then was sent again and answered 400);"
            " applying again on a fresh one\n"
        )
    finally:
        server.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(applied[0], timeout=2)  # the first server is gone


def test_a_lost_answer_twice_is_the_applys_failure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    applied: list[str] = []
    monkeypatch.setattr(local, "LocalStack", losing_answers(2, applied))
    with pytest.raises(TerraformError, match="already exists"):
        local._applied(tmp_path, local.LocalTimings(), None)
    assert len(applied) == 2
