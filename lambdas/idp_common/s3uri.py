"""s3://bucket/key helpers."""

from __future__ import annotations

from urllib.parse import urlparse


def parse(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"not an s3:// URI: {uri!r}")
    return parsed.netloc, parsed.path.lstrip("/")


def build(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key.lstrip('/')}"
