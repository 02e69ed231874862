"""The local API Gateway stand-in behaves like API Gateway's REST proxy integration with IAM auth,
and SigV4 signing/verification (idp.sigv4) accepts exactly what it signed."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest
import urllib3
from botocore.credentials import Credentials

from idp import sigv4
from idp.api_client import ApiClient
from idp.local.api_gateway import (
    GATEWAY_RESPONSES,
    LocalApiGateway,
    gateway_response,
    match_resource,
    proxy_event,
    response_headers,
)

CREDS = Credentials("AKIDLOCALEXAMPLE", "local-secret-for-tests")  # pragma: allowlist secret
REGION = "eu-west-1"
URL = "https://abc123.execute-api.eu-west-1.amazonaws.com/prod/documents"
# The response types API Gateway defines (aws apigateway gateway responses).
API_GATEWAY_RESPONSE_TYPES = {
    "ACCESS_DENIED", "API_CONFIGURATION_ERROR", "AUTHORIZER_CONFIGURATION_ERROR", "AUTHORIZER_FAILURE",
    "BAD_REQUEST_PARAMETERS", "BAD_REQUEST_BODY", "DEFAULT_4XX", "DEFAULT_5XX", "EXPIRED_TOKEN",
    "INTEGRATION_FAILURE", "INTEGRATION_TIMEOUT", "INVALID_API_KEY", "INVALID_SIGNATURE",
    "MISSING_AUTHENTICATION_TOKEN", "QUOTA_EXCEEDED", "REQUEST_TOO_LARGE", "RESOURCE_NOT_FOUND", "THROTTLED",
    "UNAUTHORIZED", "UNSUPPORTED_MEDIA_TYPE", "WAF_FILTERED",
}  # fmt: skip


def signed(body: bytes = b"{}", **kwargs: Any) -> dict[str, str]:
    return sigv4.sign(
        "POST", URL, body, {"Content-Type": "application/json"}, credentials=CREDS, region=REGION, **kwargs
    )


def test_a_signature_verifies_and_any_change_breaks_it() -> None:
    headers = signed()
    assert sigv4.verify("POST", URL, b"{}", headers, credentials=CREDS, region=REGION) is None
    tampered = sigv4.verify("POST", URL, b'{"a":1}', headers, credentials=CREDS, region=REGION)
    assert tampered is not None
    assert tampered.response_type == "INVALID_SIGNATURE"
    other_secret = Credentials(CREDS.access_key, "another-secret")  # pragma: allowlist secret
    assert sigv4.verify("POST", URL, b"{}", headers, credentials=other_secret, region=REGION) is not None
    assert sigv4.verify("GET", URL, b"{}", headers, credentials=CREDS, region=REGION) is not None
    assert sigv4.verify("POST", URL, b"{}", headers, credentials=CREDS, region="us-east-1") is not None


def test_missing_unknown_and_stale_signatures_are_refused_as_api_gateway_does() -> None:
    missing = sigv4.verify("POST", URL, b"{}", {}, credentials=CREDS, region=REGION)
    assert missing == sigv4.Rejection("MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token")
    stranger = Credentials("AKIDSTRANGER", "x")  # pragma: allowlist secret
    unknown = sigv4.verify("POST", URL, b"{}", signed(), credentials=stranger, region=REGION)
    assert unknown is not None
    assert "security token" in unknown.message
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=16)
    stale = sigv4.verify("POST", URL, b"{}", signed(), credentials=CREDS, region=REGION, now=later)
    assert stale is not None
    assert "expired" in stale.message
    garbage = sigv4.verify("POST", URL, b"{}", {"Authorization": "Bearer x"}, credentials=CREDS, region=REGION)
    assert garbage is not None
    assert garbage.response_type == "INVALID_SIGNATURE"


def test_the_region_is_read_from_an_execute_api_url() -> None:
    assert sigv4.region_of(URL, "x") == "eu-west-1"
    assert sigv4.region_of("http://127.0.0.1:8080", "local-default") == "local-default"


def test_every_gateway_response_is_the_error_shape_and_a_real_type() -> None:
    templates = json.loads(GATEWAY_RESPONSES.read_text())
    assert set(templates) <= API_GATEWAY_RESPONSE_TYPES
    assert {"DEFAULT_4XX", "DEFAULT_5XX", "MISSING_AUTHENTICATION_TOKEN", "INVALID_SIGNATURE"} <= set(templates)
    for response_type in templates:
        body = json.loads(gateway_response(response_type, 'a "quoted" message').body)
        assert set(body) == {"error", "message"}
        assert body["message"] == 'a "quoted" message'


def test_path_parameters_are_url_decoded_and_unknown_routes_unmatched() -> None:
    assert match_resource("GET", "/documents/a%2Fb%20c") == ("/documents/{document_id}", {"document_id": "a/b c"})
    assert match_resource("DELETE", "/documents/x") is None
    assert match_resource("GET", "/nope") is None


def test_the_routes_read_back_from_the_applied_api_are_the_ones_served() -> None:
    """The local run passes the applied API's routes: a route the API does not have is refused."""
    served = LocalApiGateway(lambda event, context: {"statusCode": 200}, CREDS, REGION, (("GET", "/health"),))
    status, _, body = served.respond("POST", "/documents", Message(), b"{}")
    assert (status, json.loads(body)["error"]) == (403, "missing_authentication_token")


def test_the_event_carries_every_header_and_query_value() -> None:
    event = proxy_event("GET", "/health?a=1&a=2&b=", {"x-tag": ["one", "two"], "accept": ["*/*"]}, b"")
    assert event["headers"] == {"x-tag": "two", "accept": "*/*"}
    assert event["multiValueHeaders"] == {"x-tag": ["one", "two"], "accept": ["*/*"]}
    assert event["queryStringParameters"] == {"a": "2", "b": ""}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": [""]}
    assert proxy_event("POST", "/documents", {}, b"\xff\xfe")["isBase64Encoded"] is True


def test_response_headers_merge_single_and_multi_value() -> None:
    merged = response_headers(
        {
            "headers": {"X-One": "1", "Content-Type": "text/plain"},
            "multiValueHeaders": {"Content-Type": ["application/json"]},
        }
    )
    assert merged == [("X-One", "1"), ("Content-Type", "application/json")]


class Recorder:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.events.append(event)
        return {"statusCode": 200, "multiValueHeaders": {"Content-Type": ["application/json"]}, "body": '{"ok":true}'}


@pytest.fixture
def gateway() -> Iterator[tuple[LocalApiGateway, Recorder]]:
    handler = Recorder()
    served = LocalApiGateway(handler, CREDS, REGION)
    served.start()
    try:
        yield served, handler
    finally:
        served.stop()


def test_over_http_only_signed_requests_to_declared_routes_reach_the_handler(
    gateway: tuple[LocalApiGateway, Recorder],
) -> None:
    served, handler = gateway
    client = ApiClient(served.url, CREDS, REGION)
    assert client.call("GET", "/health") == (200, {"ok": True})
    response = client.request("GET", "/health")
    assert response.headers["Content-Type"] == "application/json"  # from the handler's multiValueHeaders
    assert client.call("GET", "/health", signed=False) == (
        403,
        {"error": "missing_authentication_token", "message": "Missing Authentication Token"},
    )
    for method, path in (("DELETE", "/health"), ("TRACE", "/documents"), ("GET", "/nope")):
        status, body = client.call(method, path)
        assert (status, body["error"]) == (403, "missing_authentication_token"), (method, path)
    http = urllib3.PoolManager()
    headers = sigv4.sign("GET", f"{served.url}/health", b"", {}, credentials=CREDS, region=REGION)
    headers["X-Amz-Date"] = headers["X-Amz-Date"][:-2] + "00"  # a signature for another moment
    refused = http.request("GET", f"{served.url}/health", headers=headers)
    assert (refused.status, json.loads(refused.data)["error"]) == (403, "invalid_signature")
    assert len(handler.events) == 2  # only the two signed requests to a declared route got through


def test_over_http_repeated_headers_and_oversized_bodies(gateway: tuple[LocalApiGateway, Recorder]) -> None:
    served, handler = gateway
    http = urllib3.PoolManager()
    headers = sigv4.sign("GET", f"{served.url}/health", b"", {}, credentials=CREDS, region=REGION)
    fields = urllib3.HTTPHeaderDict(headers)
    fields.add("X-Tag", "one")
    fields.add("X-Tag", "two")
    assert http.request("GET", f"{served.url}/health", headers=fields).status == 200
    assert handler.events[-1]["multiValueHeaders"]["x-tag"] == ["one", "two"]
    too_big = http.request("POST", f"{served.url}/documents", body=b"x" * (10 * 1024 * 1024 + 1))
    assert (too_big.status, json.loads(too_big.data)["error"]) == (413, "payload_too_large")


def test_a_role_session_the_embedded_sts_issued_is_accepted_a_made_up_key_is_not(embedded_aws: Any) -> None:
    """API Gateway's IAM authorization takes any valid signature (a pipeline job signs the smoke test
    with its role session's credentials); a key nobody issued is refused."""
    sts = embedded_aws.client("sts")
    answer = sts.assume_role_with_web_identity(
        RoleArn="arn:aws:iam::111111111111:role/idp-platform-dev-apply",
        RoleSessionName="smoke",
        WebIdentityToken="token",
    )["Credentials"]
    session = Credentials(answer["AccessKeyId"], answer["SecretAccessKey"], answer["SessionToken"])
    served = LocalApiGateway(Recorder(), CREDS, REGION, issued=embedded_aws.issued_credentials)
    served.start()
    try:
        assert ApiClient(served.url, session, REGION).call("GET", "/health")[0] == 200
        issued_key = answer["AccessKeyId"]
        # one character changed; the old "+ 'X'" left an issued key ending in X unchanged (CI, stop 26)
        made_up_key = issued_key[:-1] + ("Y" if issued_key.endswith("X") else "X")
        made_up = Credentials(made_up_key, answer["SecretAccessKey"])
        status, body = ApiClient(served.url, made_up, REGION).call("GET", "/health")
        assert (status, body["error"]) == (403, "invalid_signature")
        assert ApiClient(served.url, CREDS, REGION).call("GET", "/health")[0] == 200  # the local run's own
    finally:
        served.stop()


def test_a_body_the_request_model_refuses_is_a_400_before_the_handler() -> None:
    """API Gateway's request validation, as modules/api declares it (JSON Schema draft 4)."""
    from idp.local.api_gateway import declared_models

    handler = Recorder()
    served = LocalApiGateway(handler, None, REGION, models=declared_models())
    json_type = Message()
    json_type["Content-Type"] = "application/json"
    good = {"document_type": "invoice", "content_type": "application/pdf", "filename": "a.pdf"}
    for body in (good, {**good, "callback_url": None}, {**good, "callback_url": "https://example.com/cb"}):
        assert served.respond("POST", "/documents", json_type, json.dumps(body).encode())[0] == 200, body
    for body in ({**good, "callback_url": 7}, {**good, "extra": 1}, {"filename": "a.pdf"}):
        status, _, answer = served.respond("POST", "/documents", json_type, json.dumps(body).encode())
        assert (status, json.loads(answer)["error"]) == (400, "invalid_request"), body
    assert served.respond("POST", "/documents", json_type, b"{not json")[0] == 400
    assert len(handler.events) == 3  # only the bodies the model accepts reached the function


def test_the_function_is_told_who_signed(embedded_aws: Any) -> None:
    """API Gateway's IAM authorization hands the function the verified signer (requestContext.identity):
    the role session's ARN as STS names it, and the local credentials' own."""
    answer = embedded_aws.client("sts").assume_role(
        RoleArn="arn:aws:iam::123456789012:role/idp-client", RoleSessionName="app-1"
    )["Credentials"]
    session = Credentials(answer["AccessKeyId"], answer["SecretAccessKey"], answer["SessionToken"])
    handler = Recorder()
    served = LocalApiGateway(
        handler, CREDS, REGION, issued=embedded_aws.issued_credentials, identify=embedded_aws.identity_of
    )
    served.start()
    try:
        assert ApiClient(served.url, session, REGION).call("GET", "/health")[0] == 200
        identity = handler.events[-1]["requestContext"]["identity"]
        assert identity["userArn"] == "arn:aws:sts::123456789012:assumed-role/idp-client/app-1"
        assert (identity["accessKey"], identity["accountId"]) == (answer["AccessKeyId"], "123456789012")
        assert ApiClient(served.url, CREDS, REGION).call("GET", "/health")[0] == 200
        assert handler.events[-1]["requestContext"]["identity"]["accessKey"] == CREDS.access_key
    finally:
        served.stop()
