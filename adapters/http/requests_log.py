"""Request ids, the access log and the 500 answer, as one pure ASGI middleware (the outermost).

Each request gets an id: the caller's `X-Request-ID` when it is a short printable token
(a proxy's or client's id keeps its meaning end to end), else a fresh one. The id is
echoed in the `X-Request-ID` response header, set in a context variable so every log line
written while answering carries it (engine/logging_setup.py), and put in every problem
body (errors.problem). An exception no handler answered becomes a 500 problem+json naming
the id, and its traceback is logged with that same id, so a user quoting the id finds it.

One access line per request on the `perfledger.access` logger: method, route template,
path, status, latency and the authenticated principal's subject, never a token.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.http.errors import problem
from engine.logging_setup import request_id

HEADER = "X-Request-ID"
# Printable ASCII without spaces, bounded: an id from outside cannot forge or flood log lines.
VALID_ID = re.compile(r"[\x21-\x7e]{1,128}")
access_log = logging.getLogger("perfledger.access")
log = logging.getLogger("perfledger.http")


def install(app: FastAPI) -> None:
    """Adds the middleware outside all others (call it after every other install)."""
    app.add_middleware(RequestLog)


def incoming_id(scope: Scope) -> str | None:
    wanted = HEADER.lower().encode()
    for name, value in scope.get("headers", []):
        if name.lower() == wanted:
            text = value.decode("latin-1")
            return text if VALID_ID.fullmatch(text) else None
    return None


def route_template(scope: Scope) -> str | None:
    """The matched route's path template (`/v1/goals/{goal_id}`), None when nothing matched."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else None


def principal_subject(scope: Scope) -> str | None:
    """The caller authentication established (auth.current_principal notes it in the state)."""
    state = scope.get("state")
    principal = state.get("principal") if isinstance(state, dict) else None
    subject = getattr(principal, "subject", None)
    return subject if isinstance(subject, str) else None


class RequestLog:
    """Pure ASGI, so the id's context variable is seen by everything the request runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = incoming_id(scope) or uuid.uuid4().hex
        # The state dict exists before the app runs, so what routes note in it is seen here.
        scope.setdefault("state", {})
        token = request_id.set(rid)
        started = time.perf_counter()
        answer: dict[str, Any] = {"status": 500, "started": False}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer.update(status=message["status"], started=True)
                headers = MutableHeaders(raw=list(message.get("headers", [])))
                headers[HEADER] = rid
                message["headers"] = headers.raw
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as error:
            log.error(
                "unhandled error answering %s %s",
                scope["method"],
                scope["path"],
                exc_info=error,
                extra={"request_id": rid, "route": route_template(scope)},
            )
            if answer["started"]:
                raise  # too late for a problem answer; the server closes the connection
            response = problem(500, "an unexpected error: quote the request_id when reporting it")
            await response(scope, receive, send_with_id)
        finally:
            write_access_line(scope, rid, int(answer["status"]), time.perf_counter() - started)
            request_id.reset(token)


def write_access_line(scope: Scope, rid: str, status: int, seconds: float) -> None:
    route = route_template(scope)
    principal = principal_subject(scope)
    latency_ms = round(seconds * 1000, 2)
    access_log.info(
        "%s %s %s %.2fms principal=%s",
        scope["method"],
        route or scope["path"],
        status,
        latency_ms,
        principal or "-",
        extra={
            "request_id": rid,
            "method": scope["method"],
            "route": route,
            "path": scope["path"],
            "status": status,
            "latency_ms": latency_ms,
            "principal": principal,
        },
    )
