"""The custom checkov policies catch what they claim to (the lint gate runs them on modules/)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from idp.paths import CHECKOV_ENV
from tests.conftest import REPO_ROOT

CASES = {
    "IDP_AWS_1": (
        'resource "aws_sqs_queue" "plain" {\n  name = "plain"\n}\n',
        'resource "aws_sqs_queue" "keyed" {\n  name = "k"\n  kms_master_key_id = "arn:aws:kms:eu-west-1:1:key/k"\n}\n',
    ),
    "IDP_AWS_2": (
        'resource "aws_sqs_queue" "q" {\n  name = "q"\n  kms_master_key_id = "k"\n'
        '  tags = { Owner = "someone-else" }\n}\n',
        'resource "aws_sqs_queue" "q" {\n  name = "q"\n  kms_master_key_id = "k"\n  tags = { Purpose = "intake" }\n}\n',
    ),
}


def test_custom_policies_fail_bad_and_pass_good(tmp_path: Path) -> None:
    for check, (bad, good) in CASES.items():
        for kind, text in (("bad", bad), ("good", good)):
            folder = tmp_path / f"{check}-{kind}"
            folder.mkdir()
            (folder / "main.tf").write_text(text)
    binary = CHECKOV_ENV / "bin" / "checkov"
    if not binary.exists():
        pytest.fail("checkov environment missing: run `make setup`")
    argv = [str(binary), "-d", str(tmp_path), "--framework", "terraform", "--compact", "--output", "json"]
    argv += ["--check", ",".join(CASES), "--external-checks-dir", str(REPO_ROOT / "policies" / "checkov")]
    report = json.loads(subprocess.run(argv, capture_output=True, text=True, check=False).stdout)
    failed = {(c["check_id"], Path(c["file_path"]).parent.name) for c in report["results"]["failed_checks"]}
    passed = {(c["check_id"], Path(c["file_path"]).parent.name) for c in report["results"]["passed_checks"]}
    assert failed == {(check, f"{check}-bad") for check in CASES}
    assert {(check, f"{check}-good") for check in CASES} <= passed
