from __future__ import annotations

import json

import pytest

from idp_common.config_cache import ConfigCache
from idp_common.errors import UnknownDocumentTypeError
from tests.conftest import Stack


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def make_cache(stack: Stack, clock: Clock) -> ConfigCache:
    n = stack.names
    return ConfigCache(
        stack.client("dynamodb"), stack.client("ssm"), n.config_table, n.config_version_parameter, clock=clock
    )


def disable(stack: Stack, name: str, version: str) -> None:
    ddb = stack.client("dynamodb")
    item = ddb.get_item(TableName=stack.names.config_table, Key={"document_type": {"S": name}})["Item"]
    config = json.loads(item["config"]["S"]) | {"enabled": False}
    item["config"] = {"S": json.dumps(config)}
    ddb.put_item(TableName=stack.names.config_table, Item=item)
    stack.client("ssm").put_parameter(
        Name=stack.names.config_version_parameter, Value=version, Type="String", Overwrite=True
    )


def test_loads_published_types(stack: Stack) -> None:
    cache = make_cache(stack, Clock())
    assert set(cache.enabled()) == {
        "passport",
        "drivers-license",
        "bank-statement",
        "utility-bill",
        "invoice",
        "payslip",
    }
    assert cache.get("passport").config.classification.blueprint_name == "idp-passport"
    assert {"en", "fr", "de"} <= cache.languages()


def test_reloads_only_after_the_interval_and_a_version_bump(stack: Stack) -> None:
    clock = Clock()
    cache = make_cache(stack, clock)
    assert "invoice" in cache.enabled()
    disable(stack, "invoice", "v2")
    clock.now = 10  # within the check interval: still the cached view
    assert "invoice" in cache.enabled()
    clock.now = 31
    assert "invoice" not in cache.enabled()
    assert "invoice" in cache.all()


def test_unknown_type_names_the_known_ones(stack: Stack) -> None:
    cache = make_cache(stack, Clock())
    with pytest.raises(UnknownDocumentTypeError) as caught:
        cache.get("tax-return")
    assert "passport" in caught.value.known
    assert "tax-return" in str(caught.value)
