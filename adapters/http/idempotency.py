"""The Idempotency-Key header: a retried POST is answered as the first one was, applied once.

A client that did not get an answer (a timeout, a 503 during a database outage) sends
the same request again with the same key. The key is scoped to the caller (their
principal); the first request under it is remembered with a digest of its method, path
and body, and its 2xx answer is kept and replayed (`Idempotent-Replayed: true`). The same
key with another request is refused (422). Aggregates created under a key get ids
derived from it (aggregates/ids.py), so a retry after an answer was lost finds its
command already stored and answers with the same ids instead of creating duplicates.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from typing import Any

from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.types import ASGIApp, Receive, Scope, Send

from adapters.http.auth import bearer_principal
from adapters.http.errors import is_unavailable, problem, unavailable
from adapters.sql import idempotency as keys
from aggregates.ids import derived_ids
from engine.bootstrap import Container
from engine.tokens import Principal

HEADER = "Idempotency-Key"
KEY = re.compile(r"[\x21-\x7e]{1,255}")
KEPT_HEADERS = ("content-type", "etag", "location")
MULTIPART = re.compile(r"^multipart/form-data;.*boundary=([^;]+)", re.IGNORECASE)
log = logging.getLogger(__name__)


def install(app: FastAPI) -> None:
    """Adds the middleware and declares the header on every POST operation."""
    app.add_middleware(IdempotencyMiddleware)
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        for operations in schema.get("paths", {}).values():
            post = operations.get("post")
            if post is not None and not any(
                p.get("name") == HEADER for p in post.get("parameters", [])
            ):
                post.setdefault("parameters", []).append(PARAMETER)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


PARAMETER: dict[str, Any] = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": "Makes a retry safe: the same key and request answer as the first time and "
    "apply once; the same key with another request is refused (422). Keys are "
    "per caller; use a fresh UUID per request.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
}


class IdempotencyMiddleware:
    """Sends keyed POSTs through KeyedRequests; every other request passes untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.keyed = KeyedRequests(app)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and any(name == b"idempotency-key" for name, _ in scope["headers"])
        ):
            await self.keyed(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class KeyedRequests(BaseHTTPMiddleware):
    """Claims the key before the route runs, keeps the answer after it."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        key = request.headers.get(HEADER, "")
        if not KEY.fullmatch(key):
            return problem(
                422,
                f"{HEADER} must be 1 to 255 visible ASCII characters",
                errors=[{"field": HEADER, "reason": "1 to 255 visible ASCII characters"}],
            )
        who = await run_in_threadpool(principal, request)  # may re-read the revocations
        if who is None:
            return await call_next(request)  # the route itself answers 401
        container: Container = request.app.state.container
        digest = request_digest(
            request.method,
            request.url.path,
            request.url.query,
            await request.body(),
            request.headers.get("content-type", ""),
        )
        try:
            claim = await run_in_threadpool(keys.claim, container.db, who.actor, key, digest)
        except Exception as error:
            if is_unavailable(error):
                return unavailable(container.settings.retry_after_seconds, error)
            raise
        if claim.conflict:
            return problem(
                422,
                f"this {HEADER} was used for another request",
                errors=[{"field": HEADER, "reason": "used for another request"}],
            )
        if claim.answer is not None:
            return replay(claim.answer)
        with derived_ids(f"{who.actor}\n{key}"):
            response = await call_next(request)
        return await settle(container, who.actor, key, claim, response)


async def settle(
    container: Container, actor: str, key: str, claim: keys.Claim, response: Response
) -> Response:
    """Keeps a 2xx answer; frees the key of a refused request; leaves it pinned otherwise."""
    body = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
    headers = {name: value for name, value in response.headers.items() if name in KEPT_HEADERS}
    try:
        if 200 <= response.status_code < 300:
            answer = keys.Answer(response.status_code, headers, body.decode())
            await run_in_threadpool(keys.record, container.db, actor, key, answer)
        elif 400 <= response.status_code < 500 and claim.fresh:
            await run_in_threadpool(keys.release, container.db, actor, key)
    except Exception as error:  # noqa: BLE001 - the client still gets its answer
        # Unrecorded, a retry re-runs the command, which its derived ids keep from applying twice.
        log.warning("could not keep the answer under %s: %s", HEADER, error)
    return Response(body, status_code=response.status_code, headers=dict(response.headers))


def replay(answer: keys.Answer) -> Response:
    return Response(
        answer.body.encode(),
        status_code=answer.status,
        headers={**answer.headers, "Idempotent-Replayed": "true"},
    )


def principal(request: Request) -> Principal | None:
    """The caller, when the request carries a valid bearer token."""
    return bearer_principal(request)


def request_digest(method: str, path: str, query: str, body: bytes, content_type: str = "") -> str:
    """A digest of what the request asks for: JSON bodies compare by content, not spacing;
    multipart bodies (the roster import's files) whatever boundary the client drew."""
    try:
        content = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):
        content = body
        boundary = MULTIPART.search(content_type)
        if boundary:
            # Clients draw a new boundary for every request, a retried one included.
            content = body.replace(boundary.group(1).strip('"').encode(), b"boundary")
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode(), content):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()
