"""API: POST /documents (presigned upload), GET /documents/{id} (status), GET /health."""

# No `from __future__ import annotations` here: Powertools reads the route signatures at runtime
# (through tracer's wrapper), and string annotations would not resolve there.
import re
from datetime import timedelta
from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, WithJsonSchema, field_validator

from idp_common import aws, request_limits, uploads
from idp_common.callers import caller_of
from idp_common.config_cache import ConfigCache
from idp_common.doc_types import ContentType
from idp_common.documents import DocumentRecord, DocumentStore, iso, utcnow
from idp_common.errors import UnknownDocumentTypeError
from idp_common.observability import tools
from idp_common.settings import ApiSettings
from idp_common.status import DocumentStatus

logger, tracer, metrics = tools("presigned_url_generator")
URI_CHARACTERS = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
app = APIGatewayRestResolver(enable_validation=True)


class ApiModel(BaseModel):
    # Built on first use: a request builds the two or three models it touches, not all at import.
    model_config = ConfigDict(defer_build=True)


# What the validator below accepts, said in the schema: https, or plain http to a loopback receiver.
CALLBACK_URL_SCHEMA = {
    "type": "string",
    "format": "uri",
    "minLength": 1,
    "maxLength": 2083,
    "pattern": r"^(https://|http://(127\.0\.0\.1|localhost|\[::1\])([:/?#]|$))",
    "description": "Where the signed status callback is POSTed: https (http to loopback in the local run only).",
}


class CreateDocumentRequest(ApiModel):
    model_config = ConfigDict(extra="forbid")

    document_type: str = Field(min_length=1, max_length=64, examples=["passport"])
    content_type: ContentType
    filename: str = Field(min_length=1, max_length=255, examples=["scan.pdf"])
    callback_url: Annotated[HttpUrl, WithJsonSchema(CALLBACK_URL_SCHEMA)] | None = None

    @field_validator("callback_url", mode="before")
    @classmethod
    def rfc3986_only(cls, value: object) -> object:
        # The schema says `format: uri`; HttpUrl alone would percent-encode spaces, controls and non-ASCII.
        if isinstance(value, str) and not URI_CHARACTERS.fullmatch(value):
            raise ValueError("callback_url must be a URI (RFC 3986): percent-encode other characters")
        return value

    @field_validator("callback_url")
    @classmethod
    def https_only(cls, value: HttpUrl | None) -> HttpUrl | None:
        # Plain http only for loopback receivers (local runs): a Lambda cannot reach those anyway.
        loopback = value is not None and value.scheme == "http" and value.host in LOOPBACK_HOSTS
        if value is not None and value.scheme != "https" and not loopback:
            raise ValueError("callback_url must use https")
        return value


class Upload(ApiModel):
    url: str
    fields: dict[str, str]


class CreateDocumentResponse(ApiModel):
    document_id: str
    upload: Upload
    expires_in: int


class DocumentView(ApiModel):
    document_id: str
    document_type: str
    status: DocumentStatus
    created_at: str
    updated_at: str
    status_reason: str | None = None
    language: str | None = None
    confidence: float | None = None
    result_url: str | None = None


class ErrorBody(ApiModel):
    """The one error shape: every 4xx/5xx the handler or API Gateway itself returns (gateway responses)."""

    error: str = Field(examples=["invalid_request"])
    message: str
    details: list[dict[str, Any]] | None = None


class Health(ApiModel):
    status: str = Field(examples=["ok"])


def errors(*codes: int) -> dict[int, dict[str, Any]]:
    """OpenAPI responses for error codes, all with the one error shape."""
    return {
        code: {"description": ERROR_DESCRIPTIONS[code], "content": {"application/json": {"model": ErrorBody}}}
        for code in codes
    }


ERROR_DESCRIPTIONS = {
    400: "Invalid request (schema, unknown document type, content type the type does not accept, malformed id)",
    403: "Refused by API Gateway: missing or invalid SigV4 signature, or the caller may not invoke the API",
    404: "No such document",
    413: f"Request body larger than {request_limits.MAX_BODY_BYTES} bytes",
    415: "Request body that is not application/json",
    429: "Throttled by API Gateway (stage or account limits)",
    500: "Unexpected error in the handler (logged with the request id)",
    502: "API Gateway could not use the handler's response",
    504: "The handler did not answer in time",
}
# What API Gateway or the handler can return on every route, whatever the route does.
ANY_ROUTE = (403, 413, 415, 429, 500, 502, 504)
DOCUMENT_ID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


@cache
def settings() -> ApiSettings:
    return ApiSettings.from_env()


@cache
def store() -> DocumentStore:
    return DocumentStore(aws.client("dynamodb"), settings().documents_table)


@cache
def configs() -> ConfigCache:
    s = settings()
    return ConfigCache.for_function(s)


def error_json(code: str, message: str, details: list[dict[str, Any]] | None = None) -> str:
    return ErrorBody(error=code, message=message, details=details).model_dump_json(exclude_none=True)


def error(status: int, code: str, message: str, details: list[dict[str, Any]] | None = None) -> Response[str]:
    return Response(status, content_types.APPLICATION_JSON, error_json(code, message, details))


@app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
def invalid_request(exc: RequestValidationError) -> Response[str]:
    details = [
        {"location": "/".join(map(str, e.get("loc", ()))), "message": str(e.get("msg", ""))} for e in exc.errors()
    ]
    return error(400, "invalid_request", "the request does not match the API schema", details)


@app.exception_handler(UnicodeDecodeError)  # type: ignore[untyped-decorator]
def undecodable_body(_: UnicodeDecodeError) -> Response[str]:
    return error(400, "invalid_request", "the request body is not UTF-8 JSON")


@app.exception_handler(Exception)  # type: ignore[untyped-decorator]
def unexpected(exc: Exception) -> Response[str]:
    # Last resort: the client gets the error shape and a 500, the log gets the traceback.
    logger.exception("unhandled error", extra={"error_type": type(exc).__name__})
    return error(500, "internal_error", "unexpected error; retry later or report the request id")


@app.not_found
def not_found(_: Exception) -> Response[str]:
    return error(404, "not_found", "no such route")


@app.get(
    "/health",
    responses={200: {"description": "The API is up", "content": {"application/json": {"model": Health}}}}
    | errors(*ANY_ROUTE),
)
def health() -> Response[str]:
    return Response(200, content_types.APPLICATION_JSON, Health(status="ok").model_dump_json())


@app.post(
    "/documents",
    responses={
        201: {
            "description": "Upload slot created",
            "content": {"application/json": {"model": CreateDocumentResponse}},
        },
    }
    | errors(400, *ANY_ROUTE),
)
@tracer.capture_method
def create_document(request: Annotated[CreateDocumentRequest, Body()]) -> Response[str]:
    s = settings()
    try:
        doc_type = configs().get(request.document_type)
    except UnknownDocumentTypeError as exc:
        return error(400, "unknown_document_type", str(exc), [{"known_types": exc.known}])
    if (
        request.callback_url is not None
        and request.callback_url.scheme != "https"
        and not s.callback_allow_http_loopback
    ):
        # The model lets http to loopback through for the local run; every deployed env sends https only.
        detail = {"location": "body/callback_url", "message": "must use https"}
        return error(400, "invalid_request", "callback_url must use https", [detail])
    if request.content_type not in doc_type.config.allowed_content_types:
        allowed = ", ".join(doc_type.config.allowed_content_types)
        return error(400, "unsupported_content_type", f"{request.document_type} accepts: {allowed}")
    document_id = uploads.new_document_id()
    key = uploads.upload_key(document_id, request.filename)
    now = utcnow()
    store().create(
        DocumentRecord(
            document_id=document_id,
            document_type=request.document_type,
            status=DocumentStatus.PENDING_UPLOAD,
            created_at=iso(now),
            updated_at=iso(now),
            object_key=key,
            content_type=request.content_type,
            filename=request.filename,
            callback_url=str(request.callback_url) if request.callback_url else None,
            expires_at=int((now + timedelta(days=doc_type.config.retention_days)).timestamp()),
            owner=caller(),
        )
    )
    policy = uploads.post_policy(key, request.content_type, doc_type.config)
    post = aws.client("s3").generate_presigned_post(
        Bucket=s.input_bucket,
        Key=key,
        Fields=policy.fields,
        Conditions=policy.conditions,
        ExpiresIn=s.upload_expiry_seconds,
    )
    logger.append_keys(document_id=document_id)
    metrics.add_metric(name="UploadsRequested", unit="Count", value=1)
    body = CreateDocumentResponse(
        document_id=document_id,
        upload=Upload(url=post["url"], fields=post["fields"]),
        expires_in=s.upload_expiry_seconds,
    )
    return Response(201, content_types.APPLICATION_JSON, body.model_dump_json())


def caller() -> str:
    return caller_of(app.current_event.raw_event.get("requestContext"))


@app.get(
    "/documents/<document_id>",
    responses={200: {"description": "Document status", "content": {"application/json": {"model": DocumentView}}}}
    | errors(400, 404, *ANY_ROUTE),
)
@tracer.capture_method
def get_document(
    document_id: Annotated[
        str, Path(pattern=DOCUMENT_ID_PATTERN, description="The id POST /documents returned (a UUID)")
    ],
) -> Response[str]:
    record = store().get(document_id)
    # Another caller's document is answered as one that does not exist: its id tells nothing. Records
    # from before owners were recorded have none, and stay readable until their retention ends.
    if record is None or record.owner not in {None, caller()}:
        return error(404, "not_found", f"no document with id {document_id!r}")
    result_url = None
    if record.status in {DocumentStatus.COMPLETED, DocumentStatus.LOW_CONFIDENCE} and record.output_key:
        result_url = aws.client("s3").generate_presigned_url(
            "get_object",
            Params={"Bucket": settings().output_bucket, "Key": record.output_key},
            ExpiresIn=settings().result_url_expiry_seconds,
        )
    view = DocumentView(
        **record.model_dump(include=set(DocumentView.model_fields) - {"result_url"}), result_url=result_url
    )
    return Response(200, content_types.APPLICATION_JSON, view.model_dump_json())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    refused = request_limits.refusal(event)
    if refused is not None:  # before the resolver: its request validation parses the body first
        return {
            "statusCode": refused.status,
            "headers": {"Content-Type": content_types.APPLICATION_JSON},
            "body": error_json(refused.error, refused.message),
            "isBase64Encoded": False,
        }
    return app.resolve(event, context)
