"""A webhook receiver for tests: a small HTTP server on a free loopback port that verifies
signatures, deduplicates on the delivery id, and fails, stalls or goes away on request."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from engine.notify.signing import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify,
)


@dataclass
class Receipt:
    delivery_id: str
    status: int
    verified: bool
    body: dict[str, Any]


@dataclass
class Receiver:
    """Answers 200 unless told otherwise: `script` holds the answers of the next requests
    (a status, or "stall": wait past the sender's timeout, then answer 504)."""

    secrets: dict[str, str] = field(default_factory=dict)
    script: list[int | str] = field(default_factory=list)
    always: int = 200
    stall_seconds: float = 2.0
    pause_seconds: float = 0.0  # before every answer: a slow receiver
    receipts: list[Receipt] = field(default_factory=list)
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = receiver.answer_for(body, dict(self.headers))
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sender gave up waiting

            def log_message(self, *_: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Goes away: the port is closed until `start` again (on the same port)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def answer_for(self, raw: bytes, headers: dict[str, str]) -> int:
        body = json.loads(raw)
        secret = self.secrets.get(body["subscription_id"], "")
        verified = verify(
            secret, headers.get(TIMESTAMP_HEADER, ""), raw, headers.get(SIGNATURE_HEADER, "")
        )
        if self.pause_seconds:
            time.sleep(self.pause_seconds)
        with self.lock:
            action = self.script.pop(0) if self.script else self.always
        if action == "stall":
            time.sleep(self.stall_seconds)
            status = 504
        else:
            status = int(action)
        with self.lock:
            self.receipts.append(Receipt(headers.get(DELIVERY_HEADER, ""), status, verified, body))
        return status

    def accepted(self) -> Counter[str]:
        """How often each delivery id was answered 2xx."""
        with self.lock:
            return Counter(r.delivery_id for r in self.receipts if 200 <= r.status < 300)

    def requests(self) -> int:
        with self.lock:
            return len(self.receipts)

    def all_verified(self) -> bool:
        with self.lock:
            return all(r.verified for r in self.receipts)
