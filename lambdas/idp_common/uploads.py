"""Upload keys and presigned-POST policies: which object a document lives at, and what S3 accepts."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from urllib.parse import unquote_plus

from idp_common.doc_types import DocTypeConfig

UPLOAD_PREFIX = "uploads/"
RESULT_PREFIX = "results/"
BDA_PREFIX = "bda/"
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_KEY = re.compile(r"^uploads/(?P<document_id>[0-9a-f-]{36})/[^/]+$")


def new_document_id() -> str:
    return str(uuid.uuid4())


def safe_filename(filename: str) -> str:
    name = _SAFE.sub("_", filename.rsplit("/", 1)[-1]).strip("._") or "document"
    return name[:100]


def upload_key(document_id: str, filename: str) -> str:
    return f"{UPLOAD_PREFIX}{document_id}/{safe_filename(filename)}"


def result_key(document_id: str) -> str:
    return f"{RESULT_PREFIX}{document_id}.json"


def bda_output_prefix(document_id: str) -> str:
    return f"{BDA_PREFIX}{document_id}/"


def unquote_key(raw_key: str) -> str:
    """S3 event keys are URL-encoded, with '+' for spaces."""
    return unquote_plus(raw_key)


def document_id_from_key(raw_key: str) -> str | None:
    match = _KEY.match(unquote_key(raw_key))
    return match.group("document_id") if match else None


@dataclass(frozen=True)
class PostPolicy:
    fields: dict[str, str]
    conditions: list[object]


def post_policy(key: str, content_type: str, config: DocTypeConfig) -> PostPolicy:
    """Pin the key and content type, and bound the size, so S3 itself refuses anything else."""
    return PostPolicy(
        fields={"Content-Type": content_type},
        conditions=[
            ["eq", "$key", key],
            ["eq", "$Content-Type", content_type],
            ["content-length-range", 1, config.max_upload_bytes],
        ],
    )
