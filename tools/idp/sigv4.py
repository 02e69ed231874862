"""SigV4 for the IAM-protected API (service `execute-api`), with botocore's signer.

`sign` is what every client of the API here uses (`idp smoke`, the local run, the schemathesis run);
`verify` is how the local API Gateway stand-in checks them: it recomputes the signature with the same
botocore signer at the request's own timestamp, over the headers the client says it signed.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials, ReadOnlyCredentials

SERVICE = "execute-api"
ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW = dt.timedelta(minutes=15)  # API Gateway refuses signatures older (or newer) than this
_AUTH = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request,"
    r"\s*SignedHeaders=(?P<headers>[a-z0-9;-]+),\s*Signature=(?P<signature>[0-9a-f]{64})$"
)
# API Gateway's own messages for these refusals (its gateway responses carry them).
MISSING_TOKEN = "Missing Authentication Token"  # noqa: S105 - a message, not a secret
BAD_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)


def sign(
    method: str,
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    credentials: Credentials | ReadOnlyCredentials,
    region: str,
) -> dict[str, str]:
    """The headers to send: the given ones plus Host, X-Amz-Date, the token if any, and Authorization."""
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
    SigV4Auth(credentials, SERVICE, region).add_auth(request)
    return dict(request.headers.items())


@dataclass(frozen=True)
class Rejection:
    response_type: str  # the API Gateway gateway response that answers it
    message: str


def _signed_part(
    lowered: dict[str, str], credentials: Credentials | ReadOnlyCredentials, region: str, now: dt.datetime
) -> re.Match[str] | Rejection:
    """The parsed Authorization header, or the refusal of a header that cannot be right whatever it signs."""
    header = lowered.get("authorization")
    if not header:
        return Rejection("MISSING_AUTHENTICATION_TOKEN", MISSING_TOKEN)
    match = _AUTH.match(header.strip())
    if match is None or match["service"] != SERVICE or match["region"] != region:
        return Rejection("INVALID_SIGNATURE", f"Authorization header requires '{ALGORITHM}' credentials for {region}")
    if not hmac.compare_digest(match["key"], str(credentials.access_key)):
        return Rejection("INVALID_SIGNATURE", "The security token included in the request is invalid.")
    signed = match["headers"].split(";")
    if "host" not in signed or any(name not in lowered for name in signed) or "x-amz-date" not in signed:
        return Rejection("INVALID_SIGNATURE", "Authorization header requires Host and X-Amz-Date to be signed")
    stamp = _timestamp(lowered["x-amz-date"])
    if stamp is None or abs(now - stamp) > MAX_SKEW or stamp.strftime("%Y%m%d") != match["date"]:
        return Rejection("INVALID_SIGNATURE", "Signature expired, not yet valid or malformed (X-Amz-Date).")
    return match


def access_key_of(authorization: str) -> str:
    """The access key id a SigV4 Authorization header names ('' when it names none)."""
    match = _AUTH.match(authorization.strip())
    return match["key"] if match else ""


def _timestamp(value: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def verify(
    method: str,
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    credentials: Credentials | ReadOnlyCredentials,
    region: str,
    now: dt.datetime | None = None,
) -> Rejection | None:
    """None if the request is signed by `credentials` for this region; else how API Gateway refuses it."""
    lowered = {k.lower(): v for k, v in headers.items()}
    lowered.setdefault("host", urlsplit(url).netloc)  # what an HTTP server sees when the client sent none
    parsed = _signed_part(lowered, credentials, region, now or dt.datetime.now(dt.UTC))
    if isinstance(parsed, Rejection):
        return parsed
    signed = parsed["headers"].split(";")
    request = AWSRequest(method=method, url=url, data=body, headers={name: lowered[name] for name in signed})
    request.context["timestamp"] = lowered["x-amz-date"]
    signer = SigV4Auth(credentials, SERVICE, region)
    expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    if not hmac.compare_digest(expected, parsed["signature"]):
        return Rejection("INVALID_SIGNATURE", BAD_SIGNATURE)
    return None


def region_of(url: str, default: str) -> str:
    """`<id>.execute-api.<region>.amazonaws.com` names its region; other hosts (custom domains, loopback) do not."""
    parts = (urlsplit(url).hostname or "").split(".")
    return parts[2] if len(parts) >= 5 and parts[1] == SERVICE else default
