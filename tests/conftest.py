"""Suite-wide settings: markers from the folder a test lives in, and paths to the repo's parts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"

# No test may reach a real AWS endpoint or pick up a developer's credentials.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",  # pragma: allowlist secret
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
    }
)
os.environ.pop("AWS_PROFILE", None)

FOLDER_MARKERS = {"unit", "integration", "infra", "workflows", "tools"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).relative_to(REPO_ROOT / "tests").parts
        if parts and parts[0] in FOLDER_MARKERS:
            item.add_marker(getattr(pytest.mark, parts[0]))
    # The Terraform cycle first: it mostly waits on the provider (~3 min), so the other workers run the
    # rest meanwhile. (xdist hands each worker a contiguous share: only this one test moves.)
    items.sort(key=lambda item: 0 if item.get_closest_marker("first") else 1)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker more than the machine has cores. A good share of the suite is waiting -
    the Terraform provider's own propagation waits (the cycle test sleeps through ~100 s of its ~250 s:
    SQS attributes read 6 times 5 s apart, S3 lifecycle rules 3 times 10 s apart), act handing one job
    over to the next - and a third worker fills it: the suite on 2 cores 498 s at 2 workers, 443 s at
    3, 466 s at 4 (docs/quality-gate.md)."""
    return (os.cpu_count() or 1) + 1


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


# --- AWS fixtures (moto) -----------------------------------------------------------------------
from collections.abc import Iterator  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from idp.local.aws_server import LocalAwsServer  # noqa: E402
from idp.local.lambda_router import LambdaRouter  # noqa: E402
from idp.local.stack import LOCAL_ACCOUNT, LOCAL_REGION, reset_handler_state  # noqa: E402
from idp.naming import Names  # noqa: E402
from idp_common import aws  # noqa: E402
from tests.handler_stack import Deployment, FixtureTimings, provision  # noqa: E402

MOTO_CONFIG: Any = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}


@dataclass
class InProcessAws:
    """moto in-process (mock_aws) with the same interface the local run's EmbeddedAws has."""

    monkeypatch: pytest.MonkeyPatch
    router: LambdaRouter
    session: boto3.session.Session = field(default_factory=aws.new_session)
    clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self.clients:
            self.clients[service] = self.session.client(service, region_name=LOCAL_REGION)  # type: ignore[call-overload]
        return self.clients[service]

    def setenv(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            self.monkeypatch.setenv(key, value)


@dataclass
class Stack:
    cloud: InProcessAws
    deployment: Deployment

    @property
    def names(self) -> Names:
        return self.deployment.names

    def client(self, service: str) -> Any:
        return self.cloud.client(service)

    def deliver_callbacks(self, rounds: int = 1) -> int:
        """What the callbacks queue's event source mapping does: hand the queued callbacks to
        status_updater (idp.local.event_source); `rounds` receives. How many messages it handed over."""
        import status_updater.app as status_app
        from idp.local.event_source import EventSourceMapping
        from idp.local.lambda_router import LocalContext

        mapping = EventSourceMapping(
            self.client("sqs"),
            self.deployment.callbacks_queue_url,
            status_app.handler,
            LocalContext("status_updater"),
            LOCAL_REGION,
            function="status_updater",
        )
        return sum(mapping.poll_once() for _ in range(rounds))


@pytest.fixture
def embedded_aws() -> Iterator[LocalAwsServer]:
    """moto's server on 127.0.0.1 with the local fixes, recording calls (what Terraform talks to)."""
    running = LocalAwsServer()
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """The IDP resources created in moto for handler tests (tests/handler_stack.py), handlers wired,
    doc-configs published. The local run and its tests use what Terraform applies instead."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "WARNING")
    reset_handler_state()
    with mock_aws(config=MOTO_CONFIG):
        router = LambdaRouter()
        router.install()
        try:
            cloud = InProcessAws(monkeypatch, router)
            deployment = provision(
                cloud, Names("idp", "test", LOCAL_ACCOUNT, LOCAL_REGION), FixtureTimings(), REPO_ROOT / "doc-configs"
            )
            yield Stack(cloud, deployment)
        finally:
            router.uninstall()
            reset_handler_state()
