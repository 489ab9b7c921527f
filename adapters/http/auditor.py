"""The auditor role reads and replays everything and changes nothing, on every route,
present and future."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from adapters.http.auth import bearer_principal
from adapters.http.errors import problem

READS = frozenset({"GET", "HEAD", "OPTIONS"})


def install(app: FastAPI) -> None:
    """Refuses any non-read request made with an auditor token (403),
    before routing or validation."""

    @app.middleware("http")
    async def read_only_auditor(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # In a thread: verifying may re-read the shared revocations from the database.
        if request.method not in READS and await run_in_threadpool(is_auditor, request):
            return problem(403, "the auditor role reads and replays; it changes nothing")
        return await call_next(request)


def is_auditor(request: Request) -> bool:
    # A bad token is not an auditor's: the route answers 401 for it, as for any other role.
    principal = bearer_principal(request)
    return principal is not None and principal.role == "auditor"
