"""The embedded AWS as a server: moto's WSGI app on 127.0.0.1, with the local fixes installed and
every request recorded (service, operation), so tests can hold what Terraform and the handlers
called against the IAM policies that must allow it."""

from __future__ import annotations

import hashlib
import io
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from idp.local import moto_fixes
from idp.local.calls import Call

# The embedded AWS takes any key; Terraform and the tests sign with these.
LOCAL_KEY_ID = "local"
LOCAL_SECRET = "local"  # noqa: S105  # pragma: allowlist secret
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")


# A request of the local layer standing in for AWS's own work (the alarm evaluator): not a call any
# role of the stack or the pipeline makes, so never recorded (tests check the recorded calls against roles).
LOCAL_LAYER_HEADER = "HTTP_X_IDP_LOCAL_LAYER"


def local_layer_client(client: Any) -> Any:
    """Mark every request of `client` as the local layer's own."""

    def mark(request: Any, **_: Any) -> None:
        request.headers["X-Idp-Local-Layer"] = "1"

    client.meta.events.register("before-sign", mark)
    return client


SUBJECT_PARAMETERS = ("RoleName", "OpenIDConnectProviderArn", "PolicyArn", "PolicyName", "UserName")


def describe(environ: dict[str, Any], body: bytes) -> tuple[str, str, str]:
    """(signing service, operation, subject) of a request: the operation from X-Amz-Target or Action=,
    else "METHOD /path?query" (REST); the subject where the request names it plainly."""
    match = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    service = match.group(1) if match else "?"
    form = environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded")
    params = parse_qs(body.decode("utf-8", "replace")) if body and form else {}
    query = str(environ.get("QUERY_STRING", ""))
    action = params.get("Action") or parse_qs(query).get("Action")
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    if target:
        operation = target.rsplit(".", 1)[-1]
    elif action:
        operation = action[0]
    else:
        operation = f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}{'?' + query if query else ''}"
    if service == "s3":
        subject = str(environ.get("PATH_INFO", "/")).strip("/").split("/", 1)[0]
    else:
        subject = next((params[p][0] for p in SUBJECT_PARAMETERS if p in params), "")
    return service, operation, subject


def digest(environ: dict[str, Any], body: bytes) -> str:
    """What a client's retry of the same request repeats (SigV4's date and signature are headers)."""
    line = f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}?{environ.get('QUERY_STRING', '')}"
    return hashlib.sha256(line.encode() + b"\n" + body).hexdigest()[:16]


@dataclass
class Recorder:
    calls: list[Call] = field(default_factory=list)
    phase: str = "setup"
    errors: list[tuple[str, str]] = field(default_factory=list)  # (phase, what the embedded AWS raised)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, environ: dict[str, Any], body: bytes, status: str, error: BaseException | None = None) -> None:
        service, operation, subject = describe(environ, body)
        code = int(status.split(maxsplit=1)[0])
        call = Call(self.phase, service, operation, code, subject, digest(environ, body))
        with self._lock:
            self.calls.append(call)
            if error is not None:
                raised = f"{service} {operation} ({self.phase}): {type(error).__name__}: {error}"
                self.errors.append((self.phase, raised))

    def diagnosis(self, phase: str) -> str:
        """Why a client of the embedded AWS may have failed in `phase` where AWS would not have: a
        server error, or a request repeated after it succeeded - the client lost the answer and
        retried, and the retry met what the first attempt did (an alias that "already exists")."""
        calls = self.of(phase)
        lines = [f"{c.service} {c.operation} answered {c.status}" for c in calls if c.status >= 500]
        with self._lock:
            lines += [text for where, text in self.errors if where == phase]
        lines += self.lost_answers(phase)
        return "" if not lines else "the embedded AWS, in this " + phase + ":\n  " + "\n  ".join(lines)

    def lost_answers(self, phase: str) -> list[str]:
        """Requests the client sent again after the embedded AWS had answered them with success, and
        whose repeat then failed: the answer never reached the client (the transport lost it)."""
        succeeded: set[str] = set()
        lost = []
        for c in self.of(phase):
            if c.request in succeeded and c.status >= 400:
                lost.append(f"{c.service} {c.operation} succeeded, then was sent again and answered {c.status}")
            elif c.status < 300:
                succeeded.add(c.request)
        return lost

    def of(self, phase: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.phase == phase]


class LocalAwsServer:
    """moto on 127.0.0.1:<free port>, fixed where it differs from AWS, recording each call."""

    def __init__(self) -> None:
        self.recorder = Recorder()
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._settings = ExitStack()

    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise RuntimeError("start() the server first")
        return f"http://127.0.0.1:{self._server.server_port}"

    def _app(self) -> Any:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app  # noqa: PLC0415

        inner = DomainDispatcherApplication(create_backend_app)
        recorder = self.recorder

        def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
            seen: dict[str, str] = {}

            def respond(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
                seen["status"] = status
                return start_response(status, headers, *exc)

            try:
                result = inner(environ, respond)
            except Exception as error:  # werkzeug answers 500; the record keeps why
                if LOCAL_LAYER_HEADER not in environ:
                    recorder.record(environ, body, "500", error)
                raise
            if LOCAL_LAYER_HEADER not in environ:  # the local layer's own calls stand for AWS itself
                recorder.record(environ, body, seen.get("status", "500"))
            return result  # type: ignore[no-any-return]

        return app

    def start(self) -> None:
        from moto.moto_api._internal.models import moto_api_backend  # noqa: PLC0415
        from moto.moto_server.werkzeug_app import MotoRequestHandler  # noqa: PLC0415
        from werkzeug.serving import make_server  # noqa: PLC0415

        moto_fixes.install()
        self._settings.enter_context(moto_fixes.managed_policies())
        moto_api_backend.reset()  # moto keeps state per process: a new server starts empty
        self._server = make_server("127.0.0.1", 0, self._app(), threaded=True, request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self._settings.close()

    def issued_credentials(self, access_key_id: str) -> Any:
        """The credentials of a role session this server's STS issued (a pipeline job's, say): what
        AWS would accept a signature of. None when it issued none with that key."""
        from botocore.credentials import Credentials  # noqa: PLC0415
        from moto.sts.models import sts_backends  # noqa: PLC0415

        for account in list(sts_backends):
            for role in sts_backends[account]["global"].assumed_roles:
                if role.access_key_id == access_key_id:
                    return Credentials(role.access_key_id, role.secret_access_key, role.session_token)
        return None

    def identity_of(self, access_key_id: str) -> tuple[str, str, str]:
        """(user id, ARN, account) of an access key, as this server's STS GetCallerIdentity answers."""
        from moto.core.models import DEFAULT_ACCOUNT_ID  # noqa: PLC0415
        from moto.sts.models import sts_backends  # noqa: PLC0415

        sts = sts_backends[DEFAULT_ACCOUNT_ID]["global"]
        user_id, arn, account = sts.get_caller_identity(access_key_id, "eu-west-1")
        return str(user_id), str(arn), str(account)

    def client(self, service: str, region: str = "eu-west-1") -> Any:
        from botocore.config import Config  # noqa: PLC0415

        from idp_common.aws import new_session  # noqa: PLC0415 - the shared data loader

        session = new_session(access_key=LOCAL_KEY_ID, secret_key=LOCAL_SECRET, region=region)
        config = Config(s3={"addressing_style": "path"})
        return session.client(service, endpoint_url=self.endpoint, config=config)  # type: ignore[call-overload]

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        before, self.recorder.phase = self.recorder.phase, name
        try:
            yield
        finally:
            self.recorder.phase = before
