"""`idp load local`: the load test on the local stack - the stack `idp demo` runs on (Terraform applied
onto the embedded AWS), served by the same stand-ins, loaded by the same swarm as a deployed env.

Loopback only: the swarm's target is the API Gateway stand-in on 127.0.0.1, its credentials the
embedded AWS's. The cost is read from the embedded CloudWatch like an env's: there only Lambda's
metrics exist (the local layer records them per invocation, idp.local.lambda_router); the report
says which lines had no data.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime

from idp.load.metered import cost_report
from idp.load.policy import LoadPolicy
from idp.load.result import LoadResult
from idp.load.run import run_swarm, swarm_config
from idp.local.demo import DemoRun
from idp.local.stack import LOCAL_REGION, LocalRun, local_stack
from idp.local.terraform_stack import Progress

LOCAL_POLL_SECONDS = 0.5


def local_load(
    policy: LoadPolicy,
    *,
    stack: LocalRun | None = None,
    echo: Callable[[str], object] = print,
    apply_progress: Progress | None = None,
) -> tuple[LoadResult, str]:
    """(the result, the cost report). stack: an applied local stack; else one is applied and stopped."""
    with ExitStack() as scope:
        if stack is None:
            echo("applying the stack with Terraform onto the embedded AWS (about a minute and a half)")
        local = stack or scope.enter_context(local_stack(progress=apply_progress))
        run = scope.enter_context(DemoRun(local, set()))
        config = swarm_config(
            run.gateway.url,
            policy,
            LOCAL_REGION,
            poll_seconds=LOCAL_POLL_SECONDS,
            document_timeout=policy.max_p95_seconds * 2,
        )
        echo(f"load test of the local stack: {policy.describe()}")
        started = datetime.now(UTC)
        result = run_swarm(config)  # this process's environment: the embedded AWS's endpoint and keys
        return result, cost_report(local.client, local.names, result, started=started, end=datetime.now(UTC))
