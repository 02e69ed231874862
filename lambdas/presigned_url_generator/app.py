"""API: POST /documents (presigned upload), GET /documents/{id} (status), GET /health."""

# No `from __future__ import annotations` here: Powertools reads the route signatures at runtime
# (through tracer's wrapper), and string annotations would not resolve there.
from datetime import timedelta
from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

from idp_common import aws, uploads
from idp_common.config_cache import ConfigCache
from idp_common.doc_types import ContentType
from idp_common.documents import DocumentRecord, DocumentStore, iso, utcnow
from idp_common.errors import UnknownDocumentTypeError
from idp_common.observability import tools
from idp_common.settings import ApiSettings
from idp_common.status import DocumentStatus

logger, tracer, metrics = tools("presigned_url_generator")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
app = APIGatewayRestResolver(enable_validation=True)


class ApiModel(BaseModel):
    # Built on first use: a request builds the two or three models it touches, not all at import.
    model_config = ConfigDict(defer_build=True)


class CreateDocumentRequest(ApiModel):
    model_config = ConfigDict(extra="forbid")

    document_type: str = Field(min_length=1, max_length=64, examples=["passport"])
    content_type: ContentType
    filename: str = Field(min_length=1, max_length=255, examples=["scan.pdf"])
    callback_url: HttpUrl | None = None

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
    error: str
    message: str
    details: list[dict[str, Any]] | None = None


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


def error(status: int, code: str, message: str, details: list[dict[str, Any]] | None = None) -> Response[str]:
    body = ErrorBody(error=code, message=message, details=details)
    return Response(status, content_types.APPLICATION_JSON, body.model_dump_json(exclude_none=True))


@app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
def invalid_request(exc: RequestValidationError) -> Response[str]:
    details = [
        {"location": "/".join(map(str, e.get("loc", ()))), "message": str(e.get("msg", ""))} for e in exc.errors()
    ]
    return error(400, "invalid_request", "the request does not match the API schema", details)


@app.exception_handler(UnicodeDecodeError)  # type: ignore[untyped-decorator]
def undecodable_body(_: UnicodeDecodeError) -> Response[str]:
    return error(400, "invalid_request", "the request body is not UTF-8 JSON")


@app.not_found
def not_found(_: Exception) -> Response[str]:
    return error(404, "not_found", "no such route")


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post(
    "/documents",
    responses={
        201: {
            "description": "Upload slot created",
            "content": {"application/json": {"model": CreateDocumentResponse}},
        },
        400: {"description": "Invalid request or unknown document type"},
    },
)
@tracer.capture_method
def create_document(request: Annotated[CreateDocumentRequest, Body()]) -> Response[str]:
    s = settings()
    try:
        doc_type = configs().get(request.document_type)
    except UnknownDocumentTypeError as exc:
        return error(400, "unknown_document_type", str(exc), [{"known_types": exc.known}])
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


@app.get(
    "/documents/<document_id>",
    responses={200: {"description": "Document status"}, 404: {"description": "Unknown document"}},
)
@tracer.capture_method
def get_document(document_id: Annotated[str, Path(min_length=1, max_length=64)]) -> Response[str]:
    record = store().get(document_id)
    if record is None:
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
    return app.resolve(event, context)
