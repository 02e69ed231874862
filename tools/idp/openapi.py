"""The OpenAPI document of the API, generated from the handler's resolver (one source of truth).

Three things the resolver cannot know are added here, each from the code that decides it:
- the security scheme API Gateway enforces on every route (`modules/api`: AWS_IAM in every env);
- which content types each document type accepts (doc-configs/, what `idp configs publish` deploys):
  the request schema becomes one variant per enabled type, so a client sees that `bank-statement`
  takes only PDF instead of learning it from a 400;
- Powertools declares a 422 for request validation on every route, but the handler's exception handler
  answers those with 400 (`invalid_request`); the 422 and its schemas are dropped.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from idp import __version__
from idp.paths import REPO_ROOT

OPENAPI_PATH = "docs/openapi.json"
# API Gateway's request model of POST /documents (modules/api reads it), generated from the same schema.
REQUEST_MODEL_PATH = "modules/api/create-document-request.json"
# The JSON Schema draft 4 words an API Gateway model may use; annotations (title, examples) are left out.
DRAFT4_KEYWORDS = frozenset(
    {"type", "properties", "required", "additionalProperties", "enum", "maxLength", "minLength", "pattern", "items"}
)
SIGV4 = "sigv4"
# How API Gateway describes IAM authorization in OpenAPI (its import/export extension).
SIGV4_SCHEME: dict[str, Any] = {
    "type": "apiKey",
    "name": "Authorization",
    "in": "header",
    "description": "AWS Signature Version 4 (service `execute-api`) with credentials allowed to invoke the API.",
    "x-amazon-apigateway-authtype": "awsSigv4",
}


def _content_types_by_type(doc_configs: Path) -> dict[str, list[str]]:
    from idp.configs.validate import load_all  # noqa: PLC0415 - jsonschema only when generating

    types, problems = load_all(doc_configs)
    if problems:
        raise ValueError(f"doc-configs have {len(problems)} problem(s); run `idp configs validate`")
    return {
        name: list(loaded.config.allowed_content_types)
        for name, loaded in sorted(types.items())
        if loaded.config.enabled
    }


def _variants(request: dict[str, Any], accepted: dict[str, list[str]]) -> dict[str, Any]:
    variants = []
    for name, content_types in accepted.items():
        variant = copy.deepcopy(request)
        variant.pop("title", None)
        variant["properties"]["document_type"] = {"const": name, "type": "string"}
        variant["properties"]["content_type"] = {"enum": content_types, "type": "string"}
        variants.append(variant)
    return {"title": request.get("title", "CreateDocumentRequest"), "oneOf": variants}


def _drop_validation_error(schema: dict[str, Any]) -> None:
    for path in schema["paths"].values():
        for operation in path.values():
            operation["responses"].pop("422", None)
    for name in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schema["components"]["schemas"].pop(name, None)


def resolver_schema() -> dict[str, Any]:
    from presigned_url_generator.app import app  # noqa: PLC0415 - the API handler module

    return dict(
        json.loads(
            app.get_openapi_json_schema(
                title="IDP platform API",
                version=__version__,
                description=(
                    "Presigned document uploads and document status for the IDP platform. Every request is signed "
                    "with AWS SigV4 (IAM authorization); every error, from the handler or from API Gateway, is "
                    '`{"error", "message", "details"?}`.'
                ),
            )
        )
    )


def draft4(node: dict[str, Any]) -> dict[str, Any]:
    """A pydantic (JSON Schema 2020-12) schema as API Gateway's draft 4: `anyOf [X, null]` becomes X with
    type [X's type, "null"], `const` an enum of one; `format` is left to the handler (its URI check is
    RFC 3986 exactly, a gateway's may differ)."""
    options = node.get("anyOf")
    if options and {"type": "null"} in options and len(options) == 2:
        (other,) = [o for o in options if o != {"type": "null"}]
        converted = draft4(other)
        return converted | {"type": [converted["type"], "null"]}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "const":
            out["enum"] = [value]
        elif key == "properties":
            out[key] = {name: draft4(child) for name, child in value.items()}
        elif key == "items":
            out[key] = draft4(value)
        elif key in DRAFT4_KEYWORDS:
            out[key] = value
    return out


def request_model() -> dict[str, Any]:
    """POST /documents' body as API Gateway validates it: the handler's request model, every type and
    content type the handler knows (which types are enabled is the handler's answer, not the gateway's)."""
    request = resolver_schema()["components"]["schemas"]["CreateDocumentRequest"]
    return {"$schema": "http://json-schema.org/draft-04/schema#", **draft4(request)}


def request_model_json() -> str:
    return json.dumps(request_model(), indent=2, sort_keys=True) + "\n"


def build(doc_configs: Path = REPO_ROOT / "doc-configs") -> dict[str, Any]:
    schema = resolver_schema()
    _drop_validation_error(schema)
    schemas = schema["components"]["schemas"]
    schemas["CreateDocumentRequest"] = _variants(schemas["CreateDocumentRequest"], _content_types_by_type(doc_configs))
    schema["components"]["securitySchemes"] = {SIGV4: SIGV4_SCHEME}
    schema["security"] = [{SIGV4: []}]
    return schema


def openapi_json() -> str:
    return json.dumps(build(), indent=2, sort_keys=True) + "\n"
