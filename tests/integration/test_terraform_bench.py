"""Budget: the full local apply of every AWS module <= 90 s on the 2-core machine (make bench)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from idp.local.aws_server import LocalAwsServer
from idp.local.composition import LocalAccount
from idp.local.stack import LOCAL_ACCOUNT, LOCAL_REGION
from idp.local.terraform_stack import LocalStack

APPLY_BUDGET_SECONDS = 90


@pytest.mark.bench
@pytest.mark.skipif(shutil.which("terraform") is None, reason="needs terraform (README: Prerequisites)")
@pytest.mark.xfail(
    strict=True,
    reason="measured ~100 s: two waits of the provider itself (S3 lifecycle ~55 s after create, SQS attribute "
    "propagation ~25 s per change, in a chain of two) leave little room; see README, Terraform run for real",
)
def test_the_full_local_apply_fits_the_budget(tmp_path: Path) -> None:
    server = LocalAwsServer()
    server.start()
    try:
        stack = LocalStack(server, tmp_path, LocalAccount(LOCAL_ACCOUNT, LOCAL_REGION))
        stack.init()
        seconds = stack.apply()
        print(f"\nfull local apply: {seconds:.1f} s (budget {APPLY_BUDGET_SECONDS} s)")
        assert seconds <= APPLY_BUDGET_SECONDS
    finally:
        server.stop()
