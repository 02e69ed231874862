"""A local stand-in for API Gateway's REST proxy integration: HTTP in, the handler's event out."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from idp.local.http_server import LoopbackServer, QuietHandler
from idp.local.lambda_router import LocalContext, invoking

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
ROUTES = (("POST", "/documents"), ("GET", "/documents/{document_id}"), ("GET", "/health"))


def match_resource(method: str, path: str) -> tuple[str, dict[str, str] | None]:
    for route_method, resource in ROUTES:
        if route_method != method:
            continue
        want, got = resource.strip("/").split("/"), path.strip("/").split("/")
        if len(want) != len(got):
            continue
        params = {w[1:-1]: g for w, g in zip(want, got, strict=True) if w.startswith("{")}
        if all(w == g for w, g in zip(want, got, strict=True) if not w.startswith("{")):
            return resource, params or None
    return path, None


def proxy_event(
    method: str, raw_path: str, headers: dict[str, str], body: bytes, stage: str = "local"
) -> dict[str, Any]:
    split = urlsplit(raw_path)
    resource, path_params = match_resource(method, split.path)
    query = {k: v[-1] for k, v in parse_qs(split.query).items()} or None
    try:
        text, is_b64 = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, is_b64 = base64.b64encode(body).decode(), True
    return {
        "resource": resource,
        "path": split.path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in (query or {}).items()} or None,
        "pathParameters": path_params,
        "stageVariables": None,
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "stage": stage,
            "httpMethod": method,
            "path": f"/{stage}{split.path}",
            "resourcePath": resource,
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": text or None,
        "isBase64Encoded": is_b64,
    }


class LocalApiGateway:
    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._server = LoopbackServer(self._request_handler())

    @property
    def url(self) -> str:
        return self._server.base_url

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()

    def _request_handler(self) -> type[QuietHandler]:
        gateway = self

        class Handler(QuietHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length) if length else b""
                event = proxy_event(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with invoking("presigned_url_generator"):
                    response = gateway._handler(event, LocalContext(function_name="presigned_url_generator"))
                payload = response.get("body") or ""
                data = base64.b64decode(payload) if response.get("isBase64Encoded") else payload.encode()
                self.send_response(int(response.get("statusCode", 500)))
                for key, value in (response.get("headers") or {}).items():
                    self.send_header(key, str(value))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

        return Handler
