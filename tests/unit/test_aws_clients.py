"""Clients: one per service per container, all from one session whose parsed botocore data is shared."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from idp_common import aws


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    aws.reset_clients()
    yield
    aws.reset_clients()


def test_one_client_per_service_from_one_session() -> None:
    ddb, s3 = aws.client("dynamodb"), aws.client("s3")
    assert aws.client("dynamodb") is ddb
    # botocore counts `max_attempts` as retries: 5 retries = 6 attempts in all.
    assert ddb.meta.config.retries == {"mode": "standard", "total_max_attempts": 6}
    assert ddb.meta.config.read_timeout == 30
    # One session: endpoints and partitions were parsed once for both clients.
    assert ddb.meta.partition == s3.meta.partition
    assert aws._session()._session.get_component("data_loader") is aws._data_loader()


def test_reset_gives_new_clients_but_keeps_the_parsed_data() -> None:
    before, loader = aws.client("sqs"), aws._data_loader()
    aws.reset_clients()
    assert aws.client("sqs") is not before
    assert aws.new_session()._session.get_component("data_loader") is loader


def test_the_first_client_and_new_sessions_never_wait_on_each_other() -> None:
    """A client's first session is made under the session lock: a lock new_session also took hung the
    whole suite (CI, session 10). In a thread, so a deadlock fails here in seconds instead of hanging."""
    import threading

    made: list[object] = []

    def work() -> None:
        made.append(aws.client("sts"))
        made.append(aws.new_session(access_key="a", secret_key="b", region="eu-west-1").client("sts"))

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "idp_common.aws deadlocked"
    assert len(made) == 2


def test_sessions_share_the_loader_without_growing_its_search_paths() -> None:
    loader = aws._data_loader()
    aws.new_session()
    before = list(loader.search_paths)
    for _ in range(5):
        aws.new_session(access_key="a", secret_key="b", region="eu-west-1")
    assert loader.search_paths == before  # boto3 appends its data folder per session; kept once
