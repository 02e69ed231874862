"""A client of the IAM-protected API: every request SigV4-signed with the caller's AWS credentials.

Used by `idp smoke` (the deploy job's role), the local run and the API contract tests, so all of them
call the API the way a real client must. The README shows the same from a shell.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import urllib3
from botocore.credentials import Credentials, ReadOnlyCredentials

from idp import sigv4


class MissingCredentialsError(Exception):
    """No AWS credentials in the default chain (env, profile, web identity, instance role)."""


def default_credentials() -> ReadOnlyCredentials:
    credentials = boto3.Session().get_credentials()
    if credentials is None:
        raise MissingCredentialsError(
            "no AWS credentials found: the API uses IAM authorization, so requests must be signed; "
            "set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (in a workflow: assume the env's role first)"
        )
    return credentials.get_frozen_credentials()


class ApiClient:
    def __init__(
        self,
        base_url: str,
        credentials: Credentials | ReadOnlyCredentials,
        region: str,
        http: urllib3.PoolManager | None = None,
    ) -> None:
        self.base = base_url.rstrip("/")
        self.credentials = credentials
        self.region = sigv4.region_of(self.base, region)
        self.http = http or urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(total=30))

    def request(self, method: str, path: str, body: Any = None, *, signed: bool = True) -> urllib3.BaseHTTPResponse:
        data = json.dumps(body).encode() if body is not None else b""
        headers = {"Content-Type": "application/json"} if body is not None else {}
        url = self.base + path
        if signed:
            headers = sigv4.sign(method, url, data, headers, credentials=self.credentials, region=self.region)
        return self.http.request(method, url, body=data or None, headers=headers)

    def call(self, method: str, path: str, body: Any = None, *, signed: bool = True) -> tuple[int, dict[str, Any]]:
        response = self.request(method, path, body, signed=signed)
        try:
            payload = json.loads(response.data or b"{}")
        except json.JSONDecodeError:
            payload = {"error": "not_json", "message": response.data[:200].decode("utf-8", "replace")}
        return response.status, payload if isinstance(payload, dict) else {"body": payload}

    def upload(self, upload: dict[str, Any], filename: str, content_type: str, data: bytes) -> int:
        """The presigned POST to S3: S3 checks its policy; no SigV4 of ours."""
        fields: dict[str, Any] = dict(upload["fields"])
        fields["file"] = (filename, data, content_type)
        return int(self.http.request("POST", upload["url"], fields=fields).status)
