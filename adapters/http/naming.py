"""Display names in every read answer of the API: one pure ASGI middleware, so no route has to
remember them and a new route gets them too.

A successful JSON answer to a GET under /v1/ goes through `engine.services.naming.named`:
`<field>_name` beside every id the roster knows (one `Roster.names()` call per answer).
Answers with nothing to name, and anything else (pages, CSV, streams, 304s, errors), pass
through untouched. The services decide what an answer holds (scope, anonymity); this only
adds names to what they chose to show, so a redacted author never gets one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Scope, Send

from adapters.http.held_answers import HeldAnswers
from engine.ports import Roster
from engine.services.naming import named

log = logging.getLogger(__name__)
NAMED_PATHS = "/v1/"
MAX_NAMED = 4 * 1024 * 1024  # larger answers are passed on as they are


def install(app: FastAPI, roster: Callable[[], Roster]) -> None:
    """Adds the middleware; `roster` is asked for the roster on each answer."""
    app.add_middleware(Names, roster=roster)


def encode(answer: Any) -> bytes:
    """JSON as FastAPI's JSONResponse writes it."""
    return json.dumps(
        answer, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")


def nameable(scope: Scope) -> bool:
    return (
        scope["type"] == "http"
        and scope["method"] == "GET"
        and str(scope.get("path", "")).startswith(NAMED_PATHS)
    )


def json_success(start: Message) -> bool:
    headers = Headers(raw=start.get("headers", []))
    kind = headers.get("content-type", "")
    return 200 <= int(start["status"]) < 300 and kind.startswith("application/json")


class Names(HeldAnswers):
    """Holds a JSON answer back until its body is known, then names the ids in it."""

    limit = MAX_NAMED

    def __init__(self, app: ASGIApp, roster: Callable[[], Roster]) -> None:
        super().__init__(app)
        self.roster = roster

    def wants(self, scope: Scope) -> bool:
        return nameable(scope)

    def holds(self, start: Message) -> bool:
        return json_success(start)

    async def finish(self, scope: Scope, start: Message, body: bytes, send: Send) -> None:
        body = self.with_names(body)
        headers = MutableHeaders(raw=list(start.get("headers", [])))
        if "content-length" in headers:
            headers["content-length"] = str(len(body))
        await send({**start, "headers": headers.raw})
        await send({"type": "http.response.body", "body": body})

    def with_names(self, body: bytes) -> bytes:
        try:
            answer = json.loads(body)
        except ValueError:
            return body
        try:
            result = named(self.roster(), answer)
        except Exception:
            # Names are an aid; the answer is the record. A roster that cannot be read
            # leaves the answer as it was rather than failing the read.
            log.warning("answer sent without names: the roster could not be read", exc_info=True)
            return body
        return body if result is answer else encode(result)
