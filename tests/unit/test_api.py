"""POST /documents, GET /documents/{id}, GET /health: bad input is always a 4xx JSON error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import presigned_url_generator.app as api
from idp.local.api_gateway import proxy_event
from idp.local.lambda_router import LocalContext
from idp.openapi import OPENAPI_PATH, openapi_json
from idp_common.documents import DocumentStore
from idp_common.status import DocumentStatus
from tests.conftest import REPO_ROOT, Stack

CTX = LocalContext("presigned_url_generator")


def call(method: str, path: str, body: Any = None, raw: bytes | None = None) -> tuple[int, dict[str, Any]]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    response = api.handler(proxy_event(method, path, {"content-type": "application/json"}, data), CTX)
    return response["statusCode"], json.loads(response["body"])


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


def test_unknown_document_and_route_are_404(stack: Stack) -> None:
    assert call("GET", "/documents/does-not-exist")[0] == 404
    assert call("GET", "/nope")[0] == 404


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
