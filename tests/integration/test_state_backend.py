"""The root terragrunt.hcl's S3 backend, run for real against the embedded AWS: Terraform writes the
state encrypted with the state key (with `encrypt = true` alone it would be AES256) and locks it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from idp.hcl import load
from idp.local.aws_server import LOCAL_KEY_ID, LOCAL_SECRET, LocalAwsServer
from idp.terraform import terraform_binary, terraform_env
from tests.conftest import REPO_ROOT

ACCOUNT = {
    "state_bucket": "idp-terraform-state-123456789012",
    "state_region": "eu-west-1",
    "account_id": "123456789012",
}
UNIT = "live/dev/eu-west-1/storage"


def rendered_backend() -> dict[str, Any]:
    """The root config's backend settings as Terragrunt renders them for one unit."""
    config = load(REPO_ROOT / "terragrunt.hcl")["remote_state"][0]["config"]

    def render(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        value = value.replace("${path_relative_to_include()}", UNIT)
        value = re.sub(r"\$\{local\.account\.(\w+)\}", lambda m: ACCOUNT[m.group(1)], value)
        assert "${" not in value, value
        return value

    return {key: render(value) for key, value in config.items()}


@pytest.mark.skipif(shutil.which("terraform") is None, reason="needs terraform (README: Prerequisites)")
def test_state_is_encrypted_with_the_state_key_and_locked(embedded_aws: LocalAwsServer, tmp_path: Path) -> None:
    kms, s3 = embedded_aws.client("kms"), embedded_aws.client("s3")
    key = kms.create_key(Description="Terraform state encryption")["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/terraform-state", TargetKeyId=key)  # as modules/state-backend names it
    s3.create_bucket(Bucket=ACCOUNT["state_bucket"], CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    backend = rendered_backend() | {  # where the embedded AWS is: nothing else added
        "endpoints": {"s3": embedded_aws.endpoint, "sts": embedded_aws.endpoint},
        "use_path_style": True,
        "access_key": LOCAL_KEY_ID,
        "secret_key": LOCAL_SECRET,
        "skip_credentials_validation": True,
        "skip_requesting_account_id": True,
        "skip_metadata_api_check": True,
    }
    config = {"terraform": {"backend": {"s3": backend}}, "output": {"unit": {"value": UNIT}}}
    (tmp_path / "main.tf.json").write_text(json.dumps(config))
    env = terraform_env()
    for argv in (["init", "-input=false"], ["apply", "-auto-approve", "-input=false"]):
        proc = subprocess.run(
            [terraform_binary(), *argv, "-no-color"], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
    head = s3.head_object(Bucket=ACCOUNT["state_bucket"], Key=f"{UNIT}/terraform.tfstate")
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] in {key, backend["kms_key_id"]}
    lock_calls = [c for c in embedded_aws.recorder.calls if c.service == "s3" and ".tflock" in c.operation]
    assert lock_calls, "use_lockfile: the state is locked with a lock object beside it"
