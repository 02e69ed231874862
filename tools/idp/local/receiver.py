"""A local callback receiver: checks each callback's HMAC signature like a client system would, and
can be down for a while (HTTP 503), as a client's receiver sometimes is: for the first attempts at
each document's callback, so every callback meets it down however quick or slow the run is."""

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
        self.received: list[Received] = []  # accepted (answered 204, or 401 for a bad signature)
        self.refused: list[dict[str, Any]] = []  # payloads answered 503 while down
        self._refuse_first = 0
        self._lock = threading.Lock()
        self._server = LoopbackServer(self._request_handler())

    @property
    def url(self) -> str:
        return f"{self._server.base_url}/callbacks"

    def down_for_first(self, attempts: int) -> None:
        """Answer 503 to the first `attempts` deliveries of each document's callback."""
        self._refuse_first = attempts

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
                    document = payload.get("document_id")
                    down = sum(r.get("document_id") == document for r in receiver.refused) < receiver._refuse_first
                    if down:
                        receiver.refused.append(payload)
                    else:
                        receiver.received.append(Received(payload, valid))
                if down:
                    self.send_response(503)
                    self.end_headers()
                    return
                self.send_response(204 if valid else 401)
                self.end_headers()

        return Handler

    def all_received(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    def for_document(self, document_id: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.payload.get("document_id") == document_id]
