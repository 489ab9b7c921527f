"""The auditor role reads and replays everything and changes nothing, on every route,
present and future."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from adapters.http.errors import problem
from engine.tokens import InvalidToken, verify

READS = frozenset({"GET", "HEAD", "OPTIONS"})


def install(app: FastAPI) -> None:
    """Refuses any non-read request made with an auditor token (403),
    before routing or validation."""

    @app.middleware("http")
    async def read_only_auditor(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if request.method not in READS and is_auditor(
            app, request.headers.get("authorization", "")
        ):
            return problem(403, "the auditor role reads and replays; it changes nothing")
        return await call_next(request)


def is_auditor(app: FastAPI, header: str) -> bool:
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials:
        return False
    try:
        return verify(app.state.secret, credentials.strip()).role == "auditor"
    except InvalidToken:
        return False  # the route answers 401 for a bad token, as for any other role
