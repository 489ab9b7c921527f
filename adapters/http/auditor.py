"""The auditor role reads and replays everything and changes nothing, on every route,
present and future."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from adapters.http.auth import middleware_principal
from adapters.http.errors import is_unavailable, problem, unavailable

READS = frozenset({"GET", "HEAD", "OPTIONS"})


def install(app: FastAPI) -> None:
    """Refuses any non-read request made with an auditor token (403),
    before routing or validation."""

    @app.middleware("http")
    async def read_only_auditor(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if request.method in READS:
            return await call_next(request)
        try:
            who = await middleware_principal(request)
        except Exception as error:
            if not is_unavailable(error):
                raise
            return unavailable(request.app.state.container.settings.retry_after_seconds, error)
        if who is not None and who.role == "auditor":  # by the roster, or a token outside it
            return problem(403, "the auditor role reads and replays; it changes nothing")
        return await call_next(request)
