"""The OpenAPI document of the API, generated from the handler's resolver (one source of truth)."""

from __future__ import annotations

import json

from idp import __version__

OPENAPI_PATH = "docs/openapi.json"


def openapi_json() -> str:
    from presigned_url_generator.app import app  # noqa: PLC0415 - the API handler module

    schema = json.loads(
        app.get_openapi_json_schema(
            title="IDP platform API",
            version=__version__,
            description="Presigned document uploads and document status for the IDP platform.",
        )
    )
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
