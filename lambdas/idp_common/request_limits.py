"""What the API refuses before it parses a body: too large, not JSON, nested too deep.

The resolver's own validation parses the body first (`json.loads`, or a form parser for multipart
content types), so these checks run on the raw proxy event: a 10 MB body, a multipart body without a
boundary or JSON nested a thousand levels deep must get a 4xx error, never reach a parser that raises.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

# The largest valid request is ~2.5 KB (a 2083-character callback URL, a 255-character filename).
MAX_BODY_BYTES = 8 * 1024
# A valid request nests one level; 32 leaves room for clients that wrap, and is far below recursion limits.
MAX_JSON_DEPTH = 32
JSON_MEDIA_TYPE = "application/json"


@dataclass(frozen=True)
class Refusal:
    status: int
    error: str
    message: str


def _header(event: dict[str, Any], name: str) -> str | None:
    for source in (event.get("headers") or {}, event.get("multiValueHeaders") or {}):
        for key, value in source.items():
            if key.lower() == name:
                return str(value[-1] if isinstance(value, list) and value else value)
    return None


def body_bytes(event: dict[str, Any]) -> bytes | None:
    """The body as the client sent it; None when it is not valid base64 although flagged so."""
    body = event.get("body") or ""
    if not event.get("isBase64Encoded"):
        return body.encode("utf-8", "surrogatepass")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return None


def media_type(content_type: str | None) -> str | None:
    if content_type is None:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def json_depth_exceeds(text: bytes, limit: int) -> bool:
    """True if brackets outside JSON strings nest deeper than `limit` (one linear scan, no parsing)."""
    depth, in_string, escaped = 0, False, False
    for byte in text:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


def refusal(event: dict[str, Any]) -> Refusal | None:
    """The 4xx this request gets before any parsing, or None when the body may be parsed."""
    raw = body_bytes(event)
    if raw is None:
        return Refusal(400, "invalid_request", "the request body is flagged base64 but is not valid base64")
    if not raw:
        return None
    if len(raw) > MAX_BODY_BYTES:
        return Refusal(
            413, "payload_too_large", f"the request body is {len(raw)} bytes; at most {MAX_BODY_BYTES} are accepted"
        )
    kind = media_type(_header(event, "content-type"))
    if kind not in (None, JSON_MEDIA_TYPE):
        return Refusal(
            415, "unsupported_media_type", f"request bodies must be {JSON_MEDIA_TYPE}, not {kind}; set Content-Type"
        )
    if json_depth_exceeds(raw, MAX_JSON_DEPTH):
        return Refusal(400, "invalid_request", f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels")
    return None
