"""Reading a finished BDA job's output once per container invocation."""

from __future__ import annotations

from typing import Any

from idp_common import aws
from idp_common.bda import BdaResult, read_result


def load(output_uri: str, s3: Any | None = None) -> BdaResult:
    return read_result(s3 or aws.client("s3"), output_uri)
