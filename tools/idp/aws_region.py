"""The AWS region as the AWS CLI and the newer SDKs resolve it: AWS_REGION, then AWS_DEFAULT_REGION,
then the profile's `region`. botocore (and so boto3) reads only AWS_DEFAULT_REGION and the profile, so a
shell or CI job that sets AWS_REGION alone - configure-aws-credentials sets both, many setups only the
first - would get "no AWS region" from every `idp` command that calls AWS."""

from __future__ import annotations

import os


def adopt_aws_region() -> None:
    """Make AWS_REGION, when set, the region every client of this process uses (it outranks
    AWS_DEFAULT_REGION, as in the AWS CLI); an explicit --region still wins where a command takes one."""
    region = os.environ.get("AWS_REGION", "").strip()
    if region:
        os.environ["AWS_DEFAULT_REGION"] = region
