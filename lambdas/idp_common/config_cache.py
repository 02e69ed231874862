"""Document-type configs from the config-cache table, cached per container.

The publisher bumps an SSM parameter (the config version) after every change; a container
re-reads the table only when that version moved, and checks the version at most every
`check_interval` seconds, so a publish reaches every warm Lambda within that interval.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from idp_common import aws
from idp_common.doc_types import DocType, DocTypeConfig
from idp_common.errors import UnknownDocumentTypeError
from idp_common.settings import DocumentConfigAccess

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_ssm.client import SSMClient


class ConfigCache:
    def __init__(
        self,
        dynamodb: DynamoDBClient,
        ssm: SSMClient,
        table: str,
        version_parameter: str,
        *,
        check_interval: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = dynamodb
        self._ssm = ssm
        self._table = table
        self._parameter = version_parameter
        self._interval = check_interval
        self._clock = clock
        self._version: str | None = None
        self._checked_at = float("-inf")
        self._types: dict[str, DocType] = {}

    @classmethod
    def for_function(cls, settings: DocumentConfigAccess) -> ConfigCache:
        """The cache a handler uses: its settings' table and version parameter, the shared clients."""
        return cls(aws.client("dynamodb"), aws.client("ssm"), settings.config_table, settings.config_version_parameter)

    def _current_version(self) -> str:
        return self._ssm.get_parameter(Name=self._parameter)["Parameter"]["Value"]

    def _refresh(self) -> None:
        now = self._clock()
        if now - self._checked_at < self._interval and self._version is not None:
            return
        version = self._current_version()
        self._checked_at = now
        if version == self._version:
            return
        types: dict[str, DocType] = {}
        paginator = self._db.get_paginator("scan")
        for page in paginator.paginate(TableName=self._table, ConsistentRead=True):
            for item in page.get("Items", []):
                doc_type = DocType(
                    config=DocTypeConfig.model_validate_json(item["config"]["S"]),
                    json_schema=json.loads(item["schema"]["S"]),
                    prompt=item["prompt"]["S"],
                    version=item["content_hash"]["S"],
                )
                types[doc_type.name] = doc_type
        self._types = types
        self._version = version

    def all(self) -> dict[str, DocType]:
        self._refresh()
        return dict(self._types)

    def enabled(self) -> dict[str, DocType]:
        return {name: t for name, t in self.all().items() if t.config.enabled}

    def get(self, name: str) -> DocType:
        """An enabled type, or UnknownDocumentTypeError naming the ones that exist."""
        enabled = self.enabled()
        if name not in enabled:
            raise UnknownDocumentTypeError(name, sorted(enabled))
        return enabled[name]

    def languages(self) -> frozenset[str]:
        return frozenset(lang for t in self.enabled().values() for lang in t.config.languages)
