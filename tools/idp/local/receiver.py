"""A local callback receiver: checks each callback's HMAC signature like a client system would."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from idp_common.callback import SIGNATURE_HEADER, verify


@dataclass
class Received:
    payload: dict[str, Any]
    signature_valid: bool


@dataclass
class CallbackReceiver:
    secret: str
    received: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self._server is not None  # noqa: S101 - start() first
        return f"http://127.0.0.1:{self._server.server_address[1]}/callbacks"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                valid = verify(receiver.secret, body, self.headers.get(SIGNATURE_HEADER, ""))
                try:
                    payload = json.loads(body)
                except json.JSONDecodeError:
                    payload = {}
                with receiver._lock:
                    receiver.received.append(Received(payload, valid))
                self.send_response(204 if valid else 401)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def for_document(self, document_id: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.payload.get("document_id") == document_id]
