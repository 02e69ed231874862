"""The local run's stack: what Terraform built on the embedded AWS, read back, with the handlers wired.

`local_stack()` starts the embedded AWS (idp.local.aws_server), applies the composition of
live/_units with the real provider (idp.local.terraform_stack), then reads back from the embedded
AWS everything the run uses - function names, roles and environment variables, the state machine,
the intake queue and its DLQ (from the redrive policy), the event source mapping's settings, the
API's routes and their authorization, the callback secret. Nothing here creates a resource.

What moto cannot run stays in the local layer, each piece named for what it stands in for: the
in-process Lambda routing (idp.local.lambda_router), the SQS event source (idp.local.event_source),
the API Gateway proxy integration (idp.local.api_gateway), the BDA double (idp.local.bda_double),
CloudWatch's alarm evaluation (idp.local.alarms).
Local timings are ordinary module variables (LocalTimings), so a run takes seconds, not minutes.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from idp.configs.publish import PublishReport, Target, publish
from idp.configs.validate import load_all
from idp.local.alarms import LocalAlarms
from idp.local.aws_server import LOCAL_KEY_ID, LOCAL_SECRET, LocalAwsServer, local_layer_client
from idp.local.bda_double import LocalBlueprints, ReplayBda, load_recordings
from idp.local.composition import LocalAccount
from idp.local.lambda_router import LambdaRouter
from idp.local.terraform_stack import LocalStack, Progress, paginate
from idp.naming import FUNCTIONS, Names
from idp.paths import REPO_ROOT
from idp.terraform import TerraformError
from idp_common import aws

LOCAL_ACCOUNT = "123456789012"  # moto's default account
LOCAL_REGION = "eu-west-1"
PROJECT, ENVIRONMENT = "idp", "local"
# Per-function values that cannot share one process environment; the handlers never read them.
PER_FUNCTION = {"POWERTOOLS_SERVICE_NAME"}


@dataclass(frozen=True)
class LocalTimings:
    """Module variables the local run sets so a document takes seconds: the intake queue's visibility
    is 6x the consumer timeout (modules/messaging), a poison message is dead after max_receive_count."""

    consumer_timeout_seconds: int = 1
    max_receive_count: int = 2
    bda_deadline_seconds: int = 10  # a stuck BDA job ends its document FAILED this long after it started
    bda_max_in_flight: int = 3  # the demo sends 12 documents: 4x the bound
    callback_max_attempts: int = 6
    callback_retry_base_seconds: int = 1  # then 2, 4, 8, 16 s at most (full jitter)
    alarm_window_seconds: float = 4.0  # the local alarm evaluator's period (the alarms' own: 60 s)

    def overrides(self) -> dict[str, dict[str, Any]]:
        return {
            "messaging": {
                "consumer_timeout_seconds": self.consumer_timeout_seconds,
                "max_receive_count": self.max_receive_count,
                "callback_max_attempts": self.callback_max_attempts,
            },
            "compute": {
                "bda_deadline_seconds": self.bda_deadline_seconds,
                "bda_max_in_flight": self.bda_max_in_flight,
                "callback_max_attempts": self.callback_max_attempts,
                "callback_retry_base_seconds": self.callback_retry_base_seconds,
                "callback_allow_http_loopback": True,  # the demo's receiver listens on 127.0.0.1
            },
        }


class ReadBackError(RuntimeError):
    """What Terraform built is not what the local run can wire (a module changed shape)."""


@dataclass(frozen=True)
class Function:
    key: str  # the logical name: the handler package, POWERTOOLS_SERVICE_NAME
    name: str
    role: str  # role name
    environment: dict[str, str]


@dataclass(frozen=True)
class EventSource:
    """The SQS event source mapping as applied."""

    queue_url: str
    queue_arn: str
    function: str  # logical name
    batch_size: int
    reports_item_failures: bool


@dataclass(frozen=True)
class ApiRoute:
    method: str
    path: str
    authorization: str  # AWS_IAM, NONE, ...
    function: str  # logical name of the integrated function


@dataclass(frozen=True)
class Built:
    """What Terraform built, as read back from the embedded AWS."""

    names: Names
    functions: dict[str, Function]
    state_machine_arn: str
    event_source: EventSource  # the intake queue -> sqs_poller
    bda_events: EventSource  # BDA's job-ended events (EventBridge -> queue) -> bda_orchestrator
    callbacks: EventSource  # queued callbacks -> status_updater
    dlq_url: str
    callback_secret: str
    routes: tuple[ApiRoute, ...]
    outputs: dict[str, Any]
    request_models: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # by (method, path)

    @property
    def input_queue_url(self) -> str:
        return self.event_source.queue_url

    def environment(self) -> dict[str, str]:
        """One process runs every handler: the union of the functions' variables, which must agree."""
        merged: dict[str, str] = {}
        for function in self.functions.values():
            for key, value in function.environment.items():
                if key in PER_FUNCTION:
                    continue
                if merged.setdefault(key, value) != value:
                    raise ReadBackError(f"{key} differs between functions ({merged[key]!r}, {value!r})")
        return merged


LIVE_ALIAS = "live"


def _invokes_live(by_arn: Mapping[str, str], target: str, caller: str) -> None:
    if target not in by_arn:
        raise ReadBackError(f"{caller} invokes {target}, not a function's {LIVE_ALIAS!r} alias")


def _queue_url(sqs: Any, arn: str) -> str:
    return str(sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[-1])["QueueUrl"])


def read_back(client: Callable[[str], Any], outputs: Mapping[str, Any], names: Names) -> Built:
    lam, sqs = client("lambda"), client("sqs")
    functions: dict[str, Function] = {}
    for key, name in outputs["compute__function_names"].items():
        config = lam.get_function_configuration(FunctionName=name)
        environment = dict(config.get("Environment", {}).get("Variables", {}))
        if environment.get("POWERTOOLS_SERVICE_NAME") != key:
            raise ReadBackError(f"{name}: POWERTOOLS_SERVICE_NAME is not {key!r}")
        functions[key] = Function(key, name, config["Role"].rsplit("/", 1)[-1], environment)
    if set(functions) != set(FUNCTIONS):
        raise ReadBackError(f"functions built: {sorted(functions)}, handlers: {sorted(FUNCTIONS)}")
    # Every caller invokes a function's `live` alias (modules/compute): what the run wires is read from
    # the callers as applied, and one that names $LATEST or a version stops the run.
    by_arn = {lam.get_alias(FunctionName=f.name, Name=LIVE_ALIAS)["AliasArn"]: f.key for f in functions.values()}

    sources: dict[str, EventSource] = {}
    for mapping in paginate(lam, "list_event_source_mappings", "EventSourceMappings"):
        _invokes_live(by_arn, mapping["FunctionArn"], f"the event source mapping of {mapping['EventSourceArn']}")
        source = EventSource(
            queue_url=_queue_url(sqs, mapping["EventSourceArn"]),
            queue_arn=mapping["EventSourceArn"],
            function=by_arn[mapping["FunctionArn"]],
            batch_size=int(mapping["BatchSize"]),
            reports_item_failures="ReportBatchItemFailures" in mapping.get("FunctionResponseTypes", []),
        )
        if sources.setdefault(source.function, source) is not source:
            raise ReadBackError(f"{source.function} has more than one event source mapping")
    if set(sources) != {"sqs_poller", "bda_orchestrator", "status_updater"}:
        raise ReadBackError(
            f"expected event sources for sqs_poller, bda_orchestrator and status_updater, found {sorted(sources)}"
        )
    event_source = sources["sqs_poller"]
    redrive = sqs.get_queue_attributes(QueueUrl=event_source.queue_url, AttributeNames=["RedrivePolicy"])
    dlq_url = _queue_url(sqs, json.loads(redrive["Attributes"]["RedrivePolicy"])["deadLetterTargetArn"])

    state_machine_arn = outputs["orchestration__state_machine_arn"]
    events = client("events")
    for rule in paginate(events, "list_rules", "Rules", NamePrefix=f"{names.prefix}-"):
        for target in paginate(events, "list_targets_by_rule", "Targets", Rule=rule["Name"]):
            if ":function:" in target["Arn"]:
                _invokes_live(by_arn, target["Arn"], f"the schedule {rule['Name']}")
    machine = client("stepfunctions").describe_state_machine(stateMachineArn=state_machine_arn)
    for name, state in json.loads(machine["definition"])["States"].items():
        if str(state.get("Resource", "")).startswith("arn:aws:states:::lambda:invoke"):
            _invokes_live(by_arn, state["Parameters"]["FunctionName"], f"the state machine's {name}")
    secret_ids = {
        f.environment["CALLBACK_SECRET_ID"] for f in functions.values() if "CALLBACK_SECRET_ID" in f.environment
    }
    if len(secret_ids) != 1:
        raise ReadBackError(f"the functions name {len(secret_ids)} callback secrets")
    secret = client("secretsmanager").get_secret_value(SecretId=secret_ids.pop())["SecretString"]
    apigateway, rest_api_id = client("apigateway"), outputs["api__rest_api_id"]
    methods = _methods(apigateway, rest_api_id)
    return Built(
        names=names,
        functions=functions,
        state_machine_arn=state_machine_arn,
        event_source=event_source,
        bda_events=sources["bda_orchestrator"],
        callbacks=sources["status_updater"],
        dlq_url=dlq_url,
        callback_secret=secret,
        routes=_routes(methods, by_arn),
        outputs=dict(outputs),
        request_models=_request_models(apigateway, rest_api_id, methods),
    )


def _methods(apigateway: Any, rest_api_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(HTTP method, resource path, the method as applied) for every method of the API, read once."""
    found = []
    for resource in paginate(apigateway, "get_resources", "items", restApiId=rest_api_id, embed=["methods"]):
        for method in resource.get("resourceMethods", {}):
            detail = apigateway.get_method(restApiId=rest_api_id, resourceId=resource["id"], httpMethod=method)
            found.append((method, str(resource["path"]), dict(detail)))
    return found


def _request_models(
    apigateway: Any, rest_api_id: str, methods: list[tuple[str, str, dict[str, Any]]]
) -> dict[tuple[str, str], dict[str, Any]]:
    """Each method's JSON request model as applied (what API Gateway validates a body against)."""
    models = {}
    for method, path, detail in methods:
        name = (detail.get("requestModels") or {}).get("application/json")
        if name:
            schema = apigateway.get_model(restApiId=rest_api_id, modelName=name)["schema"]
            models[(method, path)] = json.loads(schema)
    return models


def _routes(methods: list[tuple[str, str, dict[str, Any]]], by_arn: dict[str, str]) -> tuple[ApiRoute, ...]:
    routes = []
    for method, path, detail in methods:
        uri = detail.get("methodIntegration", {}).get("uri", "")
        # arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function arn>/invocations
        target = uri.split("/functions/", 1)[-1].removesuffix("/invocations")
        _invokes_live(by_arn, target, f"{method} {path}")
        routes.append(ApiRoute(method, path, detail.get("authorizationType", "NONE"), by_arn[target]))
    return tuple(sorted(routes, key=lambda r: (r.path, r.method)))


def reset_handler_state() -> None:
    """Handlers cache settings, clients and configs per container. A new local stack is a new
    container for them: forget what an earlier stack (another endpoint) left behind."""
    aws.reset_clients()
    for function in FUNCTIONS:
        module = importlib.import_module(f"{function}.app")
        for value in vars(module).values():
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()
    import bda_orchestrator.app as orchestrator  # noqa: PLC0415 - a handler module

    orchestrator.GATEWAY = orchestrator.DOUBLE = None  # the BDA double, if a stack wired one


class Environ:
    """os.environ changes, undone on close (the handlers read their settings from the process)."""

    def __init__(self) -> None:
        self._saved: dict[str, str | None] = {}

    def set(self, values: Mapping[str, str]) -> None:
        for key, value in values.items():
            self._saved.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def unset(self, *keys: str) -> None:
        for key in keys:
            self._saved.setdefault(key, os.environ.get(key))
            os.environ.pop(key, None)

    def close(self) -> None:
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved.clear()


@dataclass
class LocalRun:
    """A running local stack: the embedded AWS, what Terraform built there, and the stand-ins."""

    server: LocalAwsServer
    terraform: LocalStack
    built: Built
    router: LambdaRouter
    bda: ReplayBda
    blueprints: LocalBlueprints
    publish_report: PublishReport
    alarms: LocalAlarms
    timings: LocalTimings = field(default_factory=LocalTimings)

    @property
    def names(self) -> Names:
        return self.built.names

    @property
    def endpoint(self) -> str:
        return self.server.endpoint

    def client(self, service: str) -> Any:
        return self.server.client(service, LOCAL_REGION)


def _quiet() -> None:
    # The handlers log JSON and print EMF metrics to stdout, as in Lambda; a person running the demo
    # wants the table. `idp demo --verbose` keeps them.
    logging.getLogger("moto").setLevel(logging.CRITICAL)  # e.g. each Fail state's stack trace
    warnings.filterwarnings("ignore", module="aws_lambda_powertools")


def _applied(work_dir: Path, timings: LocalTimings, progress: Progress | None) -> tuple[LocalAwsServer, LocalStack]:
    """The stack applied onto a fresh embedded AWS, its server running. One more time on a fresh one
    when, and only when, the apply failed because an answer was lost on the way to the provider (it
    retried a create that had succeeded: "already exists") - a fault of the local transport, never of
    the modules; it says so on stderr. Any other failure is the apply's own."""
    account = LocalAccount(LOCAL_ACCOUNT, LOCAL_REGION, ENVIRONMENT)
    for attempt in (1, 2):
        server = LocalAwsServer()
        server.start()
        terraform = LocalStack(server, work_dir, account, overrides=timings.overrides())
        try:
            terraform.init()
            terraform.apply(progress)
        except BaseException as failed:
            server.stop()
            lost = server.recorder.lost_answers("apply") if isinstance(failed, TerraformError) else []
            if attempt == 2 or not lost:
                raise
            sys.stderr.write(f"the embedded AWS lost an answer ({lost[0]}); applying again on a fresh one\n")
            terraform.forget()
            continue
        return server, terraform
    raise AssertionError("unreachable")  # pragma: no cover


@contextmanager
def local_stack(
    *,
    timings: LocalTimings | None = None,
    configs_dir: Path | None = None,
    work_dir: Path | None = None,
    progress: Progress | None = None,
    quiet: bool = True,
) -> Iterator[LocalRun]:
    """Apply the stack with Terraform onto a fresh embedded AWS, read it back, wire the handlers.
    Whatever fails (the apply included: its error is Terraform's own), nothing is left running."""
    with ExitStack() as cleanup:
        environ = Environ()
        cleanup.callback(environ.close)
        if quiet:
            environ.set({"POWERTOOLS_LOG_LEVEL": "ERROR", "POWERTOOLS_METRICS_DISABLED": "true"})
            _quiet()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        if work_dir is None:
            work_dir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="idp-local-stack-")))
        timings = timings or LocalTimings()
        server, terraform = _applied(work_dir, timings, progress)
        cleanup.callback(server.stop)
        names = Names(PROJECT, ENVIRONMENT, LOCAL_ACCOUNT, LOCAL_REGION)
        built = read_back(lambda s: server.client(s, LOCAL_REGION), terraform.outputs(), names)

        port = server.endpoint.rsplit(":", 1)[-1]
        environ.unset("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")
        environ.set(
            {
                "MOTO_PORT": port,  # where moto's Step Functions sends its own Lambda calls
                "AWS_ENDPOINT_URL": server.endpoint,
                "AWS_ACCESS_KEY_ID": LOCAL_KEY_ID,
                "AWS_SECRET_ACCESS_KEY": LOCAL_SECRET,
                "AWS_DEFAULT_REGION": LOCAL_REGION,
                "AWS_REGION": LOCAL_REGION,
            }
        )
        # The handlers run in this process with the variables Terraform gave the functions. The local
        # runtime has no X-Ray daemon: the Tracer stays off (Lambda's own segments need none).
        environ.set(built.environment() | {"POWERTOOLS_TRACE_DISABLED": "true"})

        router = LambdaRouter()
        for function in built.functions.values():
            router.register_module(function.name, f"{function.key}.app")
        router.install()
        cleanup.callback(router.uninstall)
        reset_handler_state()
        cleanup.callback(reset_handler_state)

        blueprints = LocalBlueprints(account_id=LOCAL_ACCOUNT, region=LOCAL_REGION)
        types, problems = load_all(configs_dir or REPO_ROOT / "doc-configs")
        if problems:
            raise ValueError("doc-configs are invalid:\n" + "\n".join(map(str, problems)))
        report = publish(
            types,
            s3=server.client("s3", LOCAL_REGION),
            dynamodb=server.client("dynamodb", LOCAL_REGION),
            ssm=server.client("ssm", LOCAL_REGION),
            blueprints=blueprints,
            target=Target.of(names),
        )
        bda = ReplayBda(
            s3=server.client("s3", LOCAL_REGION),
            recordings=load_recordings(),
            account_id=LOCAL_ACCOUNT,
            region=LOCAL_REGION,
            events=server.client("events", LOCAL_REGION),
            job_seconds=1.0,
        )
        cleanup.callback(bda.stop)
        import bda_orchestrator.app as orchestrator  # noqa: PLC0415 - the handler module, wired to the double

        orchestrator.DOUBLE = bda.for_project(blueprints.project_arn)
        cloudwatch = local_layer_client(server.client("cloudwatch", LOCAL_REGION))
        alarms = LocalAlarms(cloudwatch, LOCAL_ACCOUNT, LOCAL_REGION, window=timings.alarm_window_seconds)
        alarms.start()
        cleanup.callback(alarms.stop)
        yield LocalRun(server, terraform, built, router, bda, blueprints, report, alarms, timings)
