"""A document type as published: its config.json (validated model), schema.json and prompt.txt."""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

ContentType = Literal["application/pdf", "image/png", "image/jpeg", "image/tiff"]
CONTENT_TYPES: tuple[str, ...] = get_args(ContentType)


class ClassificationConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    blueprint_name: str = Field(min_length=1, max_length=128)
    min_confidence: float = Field(ge=0, le=1)


class DocTypeConfig(BaseModel):
    """Mirror of doc-configs/config.schema.json (the JSON Schema is the contract for authors)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    document_type: str = Field(pattern=r"^[a-z][a-z0-9-]{1,62}$")
    display_name: str
    description: str
    enabled: bool
    languages: tuple[str, ...] = Field(min_length=1)
    classification: ClassificationConfig
    default_field_threshold: float = Field(ge=0, le=1)
    field_thresholds: dict[str, float] = Field(default_factory=dict)
    max_upload_bytes: int = Field(gt=0, le=500 * 1024 * 1024)
    allowed_content_types: tuple[ContentType, ...] = Field(min_length=1)
    retention_days: int = Field(ge=1, le=3650)

    def threshold_for(self, field: str) -> float:
        return self.field_thresholds.get(field, self.default_field_threshold)


class DocType(BaseModel):
    """Everything a Lambda needs about one type, as cached in the config table."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    config: DocTypeConfig
    json_schema: dict[str, Any]
    prompt: str
    version: str

    @property
    def name(self) -> str:
        return self.config.document_type
