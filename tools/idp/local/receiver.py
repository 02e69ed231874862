"""A local callback receiver: checks each callback's HMAC signature like a client system would."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from idp.local.http_server import LoopbackServer, QuietHandler
from idp_common.callback import SIGNATURE_HEADER, verify


@dataclass
class Received:
    payload: dict[str, Any]
    signature_valid: bool


class CallbackReceiver:
    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._server = LoopbackServer(self._request_handler())

    @property
    def url(self) -> str:
        return f"{self._server.base_url}/callbacks"

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()

    def _request_handler(self) -> type[QuietHandler]:
        receiver = self

        class Handler(QuietHandler):
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

        return Handler

    def for_document(self, document_id: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.payload.get("document_id") == document_id]
