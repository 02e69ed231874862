"""A local stand-in for API Gateway's REST proxy integration: HTTP in, the handler's event out.

What it does as API Gateway does (each point has a test):
- routes only the methods and resources `modules/api` declares; any other method or path is refused
  with MISSING_AUTHENTICATION_TOKEN (403), as a REST API with IAM authorization answers it;
- IAM authorization: every request must carry a valid SigV4 signature (service `execute-api`) of the
  credentials the stand-in was given, else MISSING_AUTHENTICATION_TOKEN / INVALID_SIGNATURE (403);
- bodies over 10 MB: REQUEST_TOO_LARGE (413);
- the event: `headers` (last value) and `multiValueHeaders` (every value), the same pair for the query
  string, URL-decoded path parameters, base64 for bodies that are not UTF-8;
- the response: `headers` and `multiValueHeaders` merged (Powertools answers in the latter);
- its own refusals rendered from `modules/api/gateway-responses.json`, the templates Terraform deploys.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from functools import cache
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from botocore.credentials import Credentials, ReadOnlyCredentials
from jsonschema import Draft4Validator

from idp import sigv4
from idp.local.http_server import LoopbackServer, QuietHandler
from idp.local.lambda_router import LocalContext, invoking
from idp.paths import REPO_ROOT

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
# The routes modules/api declares (the local run reads them back from the applied API instead; the
# Terraform cycle test holds the two equal).
ROUTES = (("POST", "/documents"), ("GET", "/documents/{document_id}"), ("GET", "/health"))
Routes = tuple[tuple[str, str], ...]
GATEWAY_RESPONSES = REPO_ROOT / "modules" / "api" / "gateway-responses.json"
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's hard limit
# The status API Gateway gives each of its own refusals that the stand-in can produce.
GATEWAY_STATUS = {
    "MISSING_AUTHENTICATION_TOKEN": 403,
    "INVALID_SIGNATURE": 403,
    "REQUEST_TOO_LARGE": 413,
    "BAD_REQUEST_BODY": 400,
}
# The request models modules/api declares, by route (the module reads the same files).
DECLARED_MODELS = {("POST", "/documents"): REPO_ROOT / "modules" / "api" / "create-document-request.json"}
Models = dict[tuple[str, str], dict[str, Any]]


def declared_models() -> Models:
    return {route: json.loads(path.read_text(encoding="utf-8")) for route, path in DECLARED_MODELS.items()}


def model_rejection(schema: dict[str, Any], headers: Message, body: bytes) -> GatewayResponse | None:
    """API Gateway's request validation of a body against the method's model (JSON Schema draft 4): the
    model of the request's content type, application/json when it names none; a body that is not JSON,
    or that the model refuses, is a 400 BAD_REQUEST_BODY before the function runs."""
    content_type = (headers.get("Content-Type") or "application/json").split(";")[0].strip().lower()
    if content_type != "application/json":
        return None  # no model for that content type: API Gateway passes it through
    try:
        document = json.loads(body or b"null")
    except ValueError:
        return gateway_response("BAD_REQUEST_BODY", "Invalid request body")
    if next(Draft4Validator(schema).iter_errors(document), None) is not None:
        return gateway_response("BAD_REQUEST_BODY", "Invalid request body")
    return None


@dataclass(frozen=True)
class GatewayResponse:
    status: int
    body: bytes


@cache
def _templates() -> dict[str, str]:
    templates: dict[str, str] = json.loads(GATEWAY_RESPONSES.read_text(encoding="utf-8"))
    return templates


def gateway_response(response_type: str, message: str) -> GatewayResponse:
    """Render a gateway response template as API Gateway does (`messageString` is the quoted message)."""
    templates = _templates()
    template = templates.get(response_type) or templates["DEFAULT_4XX"]
    body = template.replace("$context.error.messageString", json.dumps(message))
    return GatewayResponse(GATEWAY_STATUS.get(response_type, 403), body.encode())


def match_resource(method: str, path: str, routes: Routes = ROUTES) -> tuple[str, dict[str, str] | None] | None:
    """The declared resource and its URL-decoded path parameters, or None when no route matches."""
    for route_method, resource in routes:
        if route_method != method:
            continue
        want, got = resource.strip("/").split("/"), path.strip("/").split("/")
        if len(want) != len(got):
            continue
        params = {w[1:-1]: unquote(g) for w, g in zip(want, got, strict=True) if w.startswith("{")}
        if all(w == g for w, g in zip(want, got, strict=True) if not w.startswith("{")):
            return resource, params or None
    return None


def _pairs(multi: dict[str, list[str]]) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    return ({k: v[-1] for k, v in multi.items()} or None), (multi or None)


def proxy_event(
    method: str,
    raw_path: str,
    headers: dict[str, list[str]] | dict[str, str],
    body: bytes,
    *,
    stage: str = "local",
    resource: tuple[str, dict[str, str] | None] | None = None,
    identity: dict[str, Any] | None = None,
) -> dict[str, Any]:
    split = urlsplit(raw_path)
    resource = resource or match_resource(method, split.path) or (split.path, None)
    multi_headers = {k: v if isinstance(v, list) else [v] for k, v in headers.items()}
    single_headers, multi_value_headers = _pairs(multi_headers)
    query, multi_query = _pairs(parse_qs(split.query, keep_blank_values=True))
    try:
        text, is_b64 = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, is_b64 = base64.b64encode(body).decode(), True
    return {
        "resource": resource[0],
        "path": split.path,
        "httpMethod": method,
        "headers": single_headers,
        "multiValueHeaders": multi_value_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": resource[1],
        "stageVariables": None,
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "stage": stage,
            "httpMethod": method,
            "path": f"/{stage}{split.path}",
            "resourcePath": resource[0],
            "identity": {"sourceIp": "127.0.0.1", **(identity or {})},
        },
        "body": text or None,
        "isBase64Encoded": is_b64,
    }


def iam_identity(user_id: str, arn: str, account: str, access_key: str) -> dict[str, Any]:
    """requestContext.identity as API Gateway fills it for an IAM-authorized request: the verified
    signer as STS GetCallerIdentity names it (API Gateway developer guide, "Input format of a Lambda
    function for proxy integration")."""
    return {"accountId": account, "caller": user_id, "user": user_id, "userArn": arn, "accessKey": access_key}


def response_headers(response: dict[str, Any]) -> list[tuple[str, str]]:
    """`headers` and `multiValueHeaders` merged as API Gateway does (multi-value wins for a name in both)."""
    multi = {
        k.lower(): (k, [str(v) for v in values]) for k, values in (response.get("multiValueHeaders") or {}).items()
    }
    merged = [(k, str(v)) for k, v in (response.get("headers") or {}).items() if k.lower() not in multi]
    return merged + [(name, value) for name, values in multi.values() for value in values]


class LocalApiGateway:
    def __init__(
        self,
        handler: Handler,
        credentials: Credentials | ReadOnlyCredentials | None,
        region: str,
        routes: Routes = ROUTES,
        *,
        issued: Callable[[str], Credentials | None] | None = None,
        models: Models | None = None,
        identify: Callable[[str], tuple[str, str, str]] | None = None,
    ) -> None:
        """credentials: the identity allowed to call (IAM authorization); None serves without auth.
        issued: other credentials valid in the embedded AWS, by access key id (e.g. a role session its
        STS issued to a pipeline job) - API Gateway takes any principal's valid signature.
        routes: (method, resource path) pairs the API declares.
        models: each route's request model as applied (API Gateway validates the body against it).
        identify: (user id, ARN, account) of an access key, as the embedded STS names it: the signer API
        Gateway hands the function in requestContext.identity."""
        self._handler = handler
        self._models = models or {}
        self._issued = issued
        self._identify = identify
        self._routes = routes
        self._credentials = credentials
        self._region = region
        self._server = LoopbackServer(self._request_handler())

    def _signer(self, headers: Message, local: Credentials | ReadOnlyCredentials) -> Credentials | ReadOnlyCredentials:
        """The credentials whose key the request names: the local ones, or others the embedded AWS issued."""
        key = sigv4.access_key_of(headers.get("Authorization", ""))
        if key and key != local.access_key and self._issued is not None:
            return self._issued(key) or local
        return local

    @property
    def url(self) -> str:
        return self._server.base_url

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()

    def respond(
        self, method: str, raw_path: str, headers: Message, body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """What API Gateway answers this request: its own refusal, or the handler's response."""
        if len(body) > MAX_PAYLOAD_BYTES:
            return self._refuse(gateway_response("REQUEST_TOO_LARGE", "Request Too Long"))
        matched = match_resource(method, urlsplit(raw_path).path, self._routes)
        if matched is None:
            return self._refuse(gateway_response("MISSING_AUTHENTICATION_TOKEN", sigv4.MISSING_TOKEN))
        identity = None
        if self._credentials is not None:
            signer = self._signer(headers, self._credentials)
            rejection = sigv4.verify(
                method,
                f"{self.url}{raw_path}",
                body,
                dict(headers.items()),
                credentials=signer,
                region=self._region,
            )
            if rejection is not None:
                return self._refuse(gateway_response(rejection.response_type, rejection.message))
            if self._identify is not None:
                key = str(signer.access_key)
                identity = iam_identity(*self._identify(key), key)
        model = self._models.get((method, matched[0]))
        refused = model_rejection(model, headers, body) if model is not None else None
        if refused is not None:
            return self._refuse(refused)
        multi: dict[str, list[str]] = {}
        for key, value in headers.items():
            multi.setdefault(key.lower(), []).append(value)
        event = proxy_event(method, raw_path, multi, body, resource=matched, identity=identity)
        with invoking("presigned_url_generator"):
            response = self._handler(event, LocalContext(function_name="presigned_url_generator"))
        payload = response.get("body") or ""
        data = base64.b64decode(payload) if response.get("isBase64Encoded") else payload.encode()
        return int(response.get("statusCode", 502)), response_headers(response), data

    @staticmethod
    def _refuse(refusal: GatewayResponse) -> tuple[int, list[tuple[str, str]], bytes]:
        return refusal.status, [("Content-Type", "application/json")], refusal.body

    def _request_handler(self) -> type[QuietHandler]:
        gateway = self

        class Handler(QuietHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length", "0") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, data = gateway.respond(self.command, self.path, self.headers, body)
                self.send_response(status)
                for key, value in headers:
                    if key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            def __getattr__(self, name: str) -> Any:
                # Every method reaches the gateway (TRACE, PROPFIND, ...), as at API Gateway: no 501 page.
                if name.startswith("do_"):
                    return self._serve
                raise AttributeError(name)

        return Handler
