"""The one cost calculator (idp.costs) against a hand-computed example, and the price lists it reads."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest

from idp.costs import CHARGES, PriceList, PriceListError, Usage, estimate

# One processed document's usage, as the README's example shows it.
DOCUMENT = Usage(
    lambda_gb_seconds=2.5, lambda_requests=6, sfn_transitions=6, sqs_requests=10, s3_put_requests=3,
    s3_get_requests=4, dynamodb_write_units=8, dynamodb_read_units=5, bda_pages=2, api_requests=1,
)  # fmt: skip


def test_the_shipped_price_list_prices_a_document_as_computed_by_hand() -> None:
    """eu-west-1, version 2026-12-06 (tools/idp/prices/eu-west-1.json), line by line:
    Lambda 2.5 GB-s x 0.0000133334 = 0.0000333335; 6 requests x 0.20/1M = 0.0000012;
    6 transitions x 0.025/1,000 = 0.00015; 10 SQS requests x 0.40/1M = 0.000004;
    3 S3 PUTs x 0.005/1,000 = 0.000015; 4 S3 GETs x 0.0004/1,000 = 0.0000016;
    8 WRU x 0.7068/1M = 0.0000056544; 5 RRU x 0.1415/1M = 0.0000007075; 2 BDA pages x 0.04 = 0.08;
    1 API request x 3.50/1M = 0.0000035 - in all 0.0802149954 USD."""
    prices = PriceList.load("eu-west-1")
    assert prices.version == "2026-12-06"
    cost = estimate(DOCUMENT, prices)
    assert cost.lines["bda_pages"] == pytest.approx(0.08)
    assert cost.lines["sfn_transitions"] == pytest.approx(0.00015)
    assert cost.lines["lambda_gb_seconds"] == pytest.approx(0.0000333335)
    assert cost.lines["dynamodb_write_units"] == pytest.approx(0.0000056544)
    assert cost.total == pytest.approx(0.0802149954, rel=1e-9)
    assert [name for name, _ in cost.largest(2)] == ["bda_pages", "sfn_transitions"]


def test_usage_adds_and_scales() -> None:
    twice = DOCUMENT + DOCUMENT
    assert twice == DOCUMENT.scaled(2)
    assert twice.bda_pages == 4


def write(folder: Path, prices: Mapping[str, object]) -> Path:
    (folder / "xx-test-1.json").write_text(json.dumps({"region": "xx-test-1", "version": "v", "prices": prices}))
    return folder


def test_a_price_list_without_a_source_or_a_charge_is_refused(tmp_path: Path) -> None:
    good = {"usd": 1, "per": 1, "unit": "u", "source": "https://aws.amazon.com/x/pricing/", "seen": "2026-12-06"}
    complete = dict.fromkeys(CHARGES.values(), good)
    assert PriceList.load("xx-test-1", write(tmp_path, complete)).prices["kms_request"].each == 1
    with pytest.raises(PriceListError, match="needs usd, per, unit, an https source and seen"):
        PriceList.load("xx-test-1", write(tmp_path, complete | {"kms_request": good | {"source": "a blog"}}))
    with pytest.raises(PriceListError, match="no price for sqs_request"):
        PriceList.load("xx-test-1", write(tmp_path, {k: v for k, v in complete.items() if k != "sqs_request"}))
    with pytest.raises(PriceListError, match="no price list for mars-1"):
        PriceList.load("mars-1", tmp_path)


def test_every_shipped_price_names_its_page_and_the_day_it_was_read() -> None:
    for path in (Path(__file__).parents[2] / "tools" / "idp" / "prices").glob("*.json"):
        raw = json.loads(path.read_text())
        for key, entry in raw["prices"].items():
            assert entry["source"].startswith(("https://aws.amazon.com/", "https://docs.aws.amazon.com/")), key
            assert isinstance(entry["verified"], bool), key
            assert len(entry["seen"]) == len("2026-12-06"), key


def test_the_local_meter_charges_each_document_its_own_and_shares_the_rest() -> None:
    """Two documents: the state machine's invocations name theirs; a queue poller's batch and the AWS
    calls are shared equally; the API's status reads (a client's polling) are not charged."""
    from idp.local.usage import UsageMeter

    meter = UsageMeter({"language_detector": 1024, "sqs_poller": 512})
    meter.record("language_detector", 999.2, {"document_id": "a"})  # billed 1000 ms x 1 GB = 1 GB-s
    meter.record("sqs_poller", 500, {"Records": []})  # 0.25 GB-s, shared: 0.125 each
    meter.calls[("sqs_poller", "sqs", "DeleteMessage")] += 4
    meter.calls[("status_updater", "dynamodb", "UpdateItem")] += 2
    meter.calls[("presigned_url_generator", "dynamodb", "GetItem")] += 50  # polling: not charged
    meter.calls[("status_updater", "s3", "PutObject")] += 2
    used = meter.per_document({"a": (6, 2), "b": (3, 0)})
    assert used["a"].lambda_gb_seconds == pytest.approx(1.125)
    assert used["b"].lambda_gb_seconds == pytest.approx(0.125)
    assert (used["a"].lambda_requests, used["b"].lambda_requests) == (1.5, 0.5)
    assert (used["a"].sqs_requests, used["a"].dynamodb_write_units, used["a"].dynamodb_read_units) == (2, 1, 0)
    assert used["a"].s3_put_requests == 2  # its share of the PUTs (1) and its own upload (1)
    assert (used["a"].sfn_transitions, used["a"].bda_pages, used["b"].bda_pages) == (6, 2, 0)
    assert used["a"].api_requests == 1  # POST /documents
