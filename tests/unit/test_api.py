"""POST /documents, GET /documents/{id}, GET /health: bad input is always a 4xx JSON error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import presigned_url_generator.app as api
from idp.local.api_gateway import proxy_event, response_headers
from idp.local.lambda_router import LocalContext
from idp.openapi import OPENAPI_PATH, openapi_json
from idp_common import request_limits
from idp_common.documents import DocumentStore
from idp_common.status import DocumentStatus
from tests.conftest import REPO_ROOT, Stack

CTX = LocalContext("presigned_url_generator")


def respond(
    method: str, path: str, body: Any = None, raw: bytes | None = None, content_type: str = "application/json"
) -> dict[str, Any]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    return api.handler(proxy_event(method, path, {"content-type": content_type}, data), CTX)


def call(method: str, path: str, body: Any = None, raw: bytes | None = None) -> tuple[int, dict[str, Any]]:
    response = respond(method, path, body, raw)
    return response["statusCode"], json.loads(response["body"])


def assert_error(response: dict[str, Any], status: int, error: str) -> dict[str, Any]:
    """The one error shape, as JSON, with a JSON Content-Type."""
    assert response["statusCode"] == status, response
    assert ("Content-Type", "application/json") in response_headers(response)
    body = json.loads(response["body"])
    assert set(body) <= {"error", "message", "details"}
    assert body["error"] == error
    assert body["message"]
    return dict(body)


def valid(**overrides: Any) -> dict[str, Any]:
    return {"document_type": "passport", "content_type": "application/pdf", "filename": "scan 1.pdf"} | overrides


def test_create_document_returns_a_presigned_post(stack: Stack) -> None:
    status, body = call("POST", "/documents", valid(callback_url="https://example.com/hook"))
    assert status == 201
    fields = body["upload"]["fields"]
    assert fields["key"] == f"uploads/{body['document_id']}/scan_1.pdf"
    assert fields["Content-Type"] == "application/pdf"
    policy = json.loads(__import__("base64").b64decode(fields["policy"]))
    assert ["content-length-range", 1, 10 * 1024 * 1024] in policy["conditions"]
    record = DocumentStore(stack.client("dynamodb"), stack.names.documents_table).get(body["document_id"])
    assert record is not None
    assert record.status is DocumentStatus.PENDING_UPLOAD
    assert record.callback_url == "https://example.com/hook"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (valid(document_type="tax-return"), "unknown_document_type"),
        (valid(callback_url="http://example.com/hook"), "invalid_request"),
        (valid(content_type="text/html"), "invalid_request"),
        (valid(document_type="bank-statement", content_type="image/png"), "unsupported_content_type"),
        ({"document_type": "passport"}, "invalid_request"),
        (valid(extra="x"), "invalid_request"),
    ],
)
def test_bad_requests_get_400_json(stack: Stack, body: dict[str, Any], error: str) -> None:
    status, payload = call("POST", "/documents", body)
    assert status == 400
    assert payload["error"] == error


def test_unknown_type_lists_known_types(stack: Stack) -> None:
    _, payload = call("POST", "/documents", valid(document_type="tax-return"))
    assert "passport" in payload["details"][0]["known_types"]


def test_malformed_json_is_400(stack: Stack) -> None:
    status, payload = call("POST", "/documents", raw=b"{not json")
    assert status == 400
    assert payload["error"] == "invalid_request"


def test_get_document_status_and_result_url(stack: Stack) -> None:
    _, created = call("POST", "/documents", valid())
    document_id = created["document_id"]
    status, view = call("GET", f"/documents/{document_id}")
    assert (status, view["status"], view.get("result_url")) == (200, "PENDING_UPLOAD", None)
    store = DocumentStore(stack.client("dynamodb"), stack.names.documents_table)
    store.transition(document_id, DocumentStatus.QUEUED)
    store.transition(document_id, DocumentStatus.PROCESSING)
    store.transition(document_id, DocumentStatus.COMPLETED, output_key=f"results/{document_id}.json", confidence=0.9)
    _, done = call("GET", f"/documents/{document_id}")
    assert done["status"] == "COMPLETED"
    assert f"results/{document_id}.json" in done["result_url"]


def test_unknown_document_is_404_a_malformed_id_400_and_an_unknown_route_404(stack: Stack) -> None:
    assert_error(respond("GET", "/documents/0b7e1b9e-8c1f-4a53-9d7e-1f0f7a1c2d3e"), 404, "not_found")
    assert_error(respond("GET", "/documents/does-not-exist"), 400, "invalid_request")
    assert_error(respond("GET", "/nope"), 404, "not_found")


def test_multipart_without_boundary_is_415_not_a_crash(stack: Stack) -> None:
    # Powertools' form parser raised ValueError("Missing boundary") on this: no response at all.
    body = assert_error(
        respond("POST", "/documents", raw=b"--x\r\n", content_type="multipart/form-data"), 415, "unsupported_media_type"
    )
    assert "application/json" in body["message"]


def test_a_real_multipart_body_is_415_too(stack: Stack) -> None:
    raw = b'--b\r\nContent-Disposition: form-data; name="document_type"\r\n\r\npassport\r\n--b--\r\n'
    assert_error(
        respond("POST", "/documents", raw=raw, content_type="multipart/form-data; boundary=b"),
        415,
        "unsupported_media_type",
    )


def test_json_nested_a_thousand_levels_is_400_not_a_recursion_error(stack: Stack) -> None:
    deep = b"[" * 1000 + b"]" * 1000  # ~2 KB; json.loads raised RecursionError on it
    body = assert_error(respond("POST", "/documents", raw=deep), 400, "invalid_request")
    assert "deeper than" in body["message"]


def test_a_body_over_the_limit_is_413_before_parsing(stack: Stack) -> None:
    raw = json.dumps(valid(filename="x" * (request_limits.MAX_BODY_BYTES + 1))).encode()
    assert_error(respond("POST", "/documents", raw=raw), 413, "payload_too_large")


def test_an_unexpected_error_is_a_500_in_the_error_shape(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    class BrokenStore:
        def get(self, document_id: str) -> None:
            raise RuntimeError("table unavailable")

    monkeypatch.setattr(api, "store", BrokenStore)
    body = assert_error(respond("GET", "/documents/0b7e1b9e-8c1f-4a53-9d7e-1f0f7a1c2d3e"), 500, "internal_error")
    assert "table unavailable" not in body["message"]  # internals stay in the log


@pytest.mark.parametrize(
    ("text", "limit", "deeper"),
    [
        (b'{"a": [1, {"b": 2}]}', 3, False),
        (b'{"a": [1, {"b": 2}]}', 2, True),
        (b'{"a": "[[[[[[[[[[[[[[[[["}', 1, False),  # brackets inside strings do not nest
        (b'{"a": "\\\\"}[[[', 2, True),  # an escaped backslash: the quote after it ends the string
        (b'{"a": "\\"}[[["}', 1, False),  # an escaped quote does not end it
    ],
)
def test_json_depth_scan(text: bytes, limit: int, deeper: bool) -> None:
    assert request_limits.json_depth_exceeds(text, limit) is deeper


def test_body_flagged_base64_that_is_not_is_400(stack: Stack) -> None:
    event = proxy_event("POST", "/documents", {"content-type": "application/json"}, b"{}") | {
        "body": "%%%not base64",
        "isBase64Encoded": True,
    }
    assert_error(api.handler(event, CTX), 400, "invalid_request")


def test_health(stack: Stack) -> None:
    assert call("GET", "/health") == (200, {"status": "ok"})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=15), children, max_size=4),
    max_leaves=10,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.one_of(
        json_values,
        st.fixed_dictionaries(
            {
                "document_type": st.text(max_size=70),
                "content_type": st.text(max_size=20),
                "filename": st.text(max_size=300),
            },
            optional={"callback_url": st.text(max_size=50)},
        ),
    )
)
def test_fuzzed_bodies_never_5xx_and_always_json(stack: Stack, body: Any) -> None:
    status, payload = call("POST", "/documents", body)
    assert status in {201, 400}
    assert isinstance(payload, dict)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200))
def test_fuzzed_raw_bytes_never_5xx(stack: Stack, raw: bytes) -> None:
    status, payload = call("POST", "/documents", raw=raw)
    assert status == 400
    assert "error" in payload


def test_committed_openapi_matches_the_resolver() -> None:
    committed = (REPO_ROOT / OPENAPI_PATH).read_text()
    assert committed == openapi_json(), "docs/openapi.json drifted: run `uv run idp openapi --output docs/openapi.json`"


def test_the_gateways_request_model_comes_from_the_same_schema() -> None:
    """modules/api's model is generated from the handler's request model, as the OpenAPI document is:
    one source, so the gateway cannot refuse what the document allows (it did: callback_url: null)."""
    from idp.openapi import REQUEST_MODEL_PATH, draft4, request_model_json

    committed = (REPO_ROOT / REQUEST_MODEL_PATH).read_text()
    assert committed == request_model_json(), (
        "the request model drifted: run `uv run idp openapi --output docs/openapi.json`"
    )
    nullable = {"anyOf": [{"type": "string", "maxLength": 5, "format": "uri"}, {"type": "null"}], "title": "T"}
    assert draft4(nullable) == {"type": ["string", "null"], "maxLength": 5}
    assert draft4({"const": "x", "type": "string", "examples": ["x"]}) == {"enum": ["x"], "type": "string"}


def signed_by(arn: str) -> dict[str, Any]:
    return {"userArn": arn, "accessKey": "AKIA", "accountId": "123456789012"}


def call_as(identity: dict[str, Any] | None, method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any]]:
    data = json.dumps(body).encode() if body is not None else b""
    event = proxy_event(method, path, {"content-type": "application/json"}, data, identity=identity)
    response = api.handler(event, CTX)
    return response["statusCode"], json.loads(response["body"])


def test_each_caller_sees_only_its_documents(stack: Stack) -> None:
    alice = signed_by("arn:aws:iam::123456789012:user/alice")
    app_session = signed_by("arn:aws:sts::123456789012:assumed-role/idp-client/session-1")
    app_next_session = signed_by("arn:aws:sts::123456789012:assumed-role/idp-client/session-2")
    _, mine = call_as(alice, "POST", "/documents", valid())
    _, ours = call_as(app_session, "POST", "/documents", valid())
    assert call_as(alice, "GET", f"/documents/{mine['document_id']}")[0] == 200
    status, body = call_as(app_session, "GET", f"/documents/{mine['document_id']}")
    assert (status, body["error"]) == (404, "not_found")  # as if it did not exist
    assert call_as(app_next_session, "GET", f"/documents/{ours['document_id']}")[0] == 200  # the role's
    assert call_as(alice, "GET", f"/documents/{ours['document_id']}")[0] == 404
    assert call_as(None, "GET", f"/documents/{mine['document_id']}")[0] == 404  # no signer: anonymous
    record = DocumentStore(stack.client("dynamodb"), stack.names.documents_table).get(ours["document_id"])
    assert record is not None
    assert record.owner == "arn:aws:sts::123456789012:assumed-role/idp-client"


def test_callers_are_named_by_user_role_or_token_subject() -> None:
    from idp_common.callers import ANONYMOUS, caller_of

    assert caller_of({"identity": signed_by("arn:aws:iam::123456789012:user/alice")}) == (
        "arn:aws:iam::123456789012:user/alice"
    )
    assert caller_of({"identity": signed_by("arn:aws-cn:sts::123456789012:assumed-role/r/s@x")}) == (
        "arn:aws-cn:sts::123456789012:assumed-role/r"
    )
    assert caller_of({"authorizer": {"claims": {"sub": "abc"}}, "identity": {}}) == "cognito:abc"
    assert caller_of({"identity": {"sourceIp": "1.2.3.4", "userArn": None}}) == ANONYMOUS
    assert caller_of(None) == ANONYMOUS


def test_a_deployed_env_refuses_http_callbacks_even_to_loopback(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """The model lets http to loopback through (the local run's receiver); a deployed env sends https only."""
    assert call("POST", "/documents", valid(callback_url="http://127.0.0.1:8080/hook"))[0] == 201  # local run
    monkeypatch.setenv("CALLBACK_ALLOW_HTTP_LOOPBACK", "false")
    api.settings.cache_clear()
    try:
        status, body = call("POST", "/documents", valid(callback_url="http://127.0.0.1:8080/hook"))
        assert (status, body["error"], body["message"]) == (400, "invalid_request", "callback_url must use https")
        assert call("POST", "/documents", valid(callback_url="https://example.com/hook"))[0] == 201
    finally:
        api.settings.cache_clear()
