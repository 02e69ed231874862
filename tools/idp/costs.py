"""What a document costs, from usage and a price list - the one calculator (the demo's estimate, the
README's monthly figures and the load test's read of an env's real metrics all call it).

Prices are data (tools/idp/prices/<region>.json): each as the pricing page publishes it (USD per a
quantity of a unit), with the page it comes from and when it was read. Usage is what a document (or a
month) consumed; `estimate` prices it line by line. Free tiers are ignored (a production account
outgrows them; the figures are an upper bound for a small one)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

PRICES_DIR = Path(__file__).parent / "prices"
# Usage field -> the price that charges it.
CHARGES = {
    "lambda_gb_seconds": "lambda_arm64_gb_second",
    "lambda_requests": "lambda_request",
    "sfn_transitions": "stepfunctions_state_transition",
    "sqs_requests": "sqs_request",
    "s3_put_requests": "s3_put_request",
    "s3_get_requests": "s3_get_request",
    "s3_gb_months": "s3_standard_gb_month",
    "dynamodb_write_units": "dynamodb_write_request_unit",
    "dynamodb_read_units": "dynamodb_read_request_unit",
    "bda_pages": "bda_document_custom_output_page",
    "api_requests": "apigateway_rest_request",
    "kms_requests": "kms_request",
}


class PriceListError(ValueError):
    """A price list that cannot be used: what is wrong and where."""


@dataclass(frozen=True)
class Price:
    usd: float  # as published: this many USD ...
    per: float  # ... per this many units
    unit: str
    source: str  # the pricing page
    seen: str  # when it was read (YYYY-MM-DD)

    @property
    def each(self) -> float:
        return self.usd / self.per


@dataclass(frozen=True)
class PriceList:
    region: str
    currency: str
    version: str
    prices: dict[str, Price]

    @classmethod
    def load(cls, region: str = "eu-west-1", directory: Path = PRICES_DIR) -> PriceList:
        path = directory / f"{region}.json"
        if not path.is_file():
            known = sorted(p.stem for p in directory.glob("*.json"))
            raise PriceListError(f"no price list for {region} ({path}); known: {', '.join(known) or 'none'}")
        raw = json.loads(path.read_text(encoding="utf-8"))
        prices = {}
        for key, entry in raw.get("prices", {}).items():
            missing = [k for k in ("usd", "per", "unit", "source", "seen") if k not in entry]
            if missing or not str(entry.get("source", "")).startswith("https://"):
                raise PriceListError(f"{path}: {key} needs usd, per, unit, an https source and seen ({missing})")
            prices[key] = Price(float(entry["usd"]), float(entry["per"]), entry["unit"], entry["source"], entry["seen"])
        absent = sorted(set(CHARGES.values()) - set(prices))
        if absent:
            raise PriceListError(f"{path}: no price for {', '.join(absent)}")
        return cls(raw["region"], raw.get("currency", "USD"), raw["version"], prices)


@dataclass(frozen=True)
class Usage:
    """What was consumed (per document, or in total)."""

    lambda_gb_seconds: float = 0.0
    lambda_requests: float = 0.0
    sfn_transitions: float = 0.0
    sqs_requests: float = 0.0
    s3_put_requests: float = 0.0
    s3_get_requests: float = 0.0
    s3_gb_months: float = 0.0
    dynamodb_write_units: float = 0.0
    dynamodb_read_units: float = 0.0
    bda_pages: float = 0.0
    api_requests: float = 0.0
    kms_requests: float = 0.0

    def __add__(self, other: Usage) -> Usage:
        return Usage(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def scaled(self, factor: float) -> Usage:
        return Usage(**{f.name: getattr(self, f.name) * factor for f in fields(self)})


@dataclass(frozen=True)
class Estimate:
    lines: dict[str, float]  # usage field -> USD

    @property
    def total(self) -> float:
        return sum(self.lines.values())

    def largest(self, count: int = 3) -> list[tuple[str, float]]:
        return sorted(self.lines.items(), key=lambda item: -item[1])[:count]


def estimate(usage: Usage, prices: PriceList) -> Estimate:
    return Estimate({name: getattr(usage, name) * prices.prices[key].each for name, key in CHARGES.items()})


def as_dict(usage: Usage) -> dict[str, Any]:
    return asdict(usage)


def states_entered(sfn: Any, execution_arn: str) -> int | None:
    """States an execution entered - what a Standard workflow bills as transitions - from its history
    (None: no such execution, e.g. a document refused at intake)."""
    try:
        pages = sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn)
        return int(sum(event["type"].endswith("StateEntered") for page in pages for event in page["events"]))
    except sfn.exceptions.ExecutionDoesNotExist:
        return None
