"""Maps each error family to one HTTP status, once, as application/problem+json."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import psycopg
from eventsourcing import persistence
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from adapters.http.auth import Unauthorized
from aggregates.errors import DomainError, InvalidValue, NotFound, RuleViolation, VersionConflict
from engine.logging_setup import request_id
from engine.roster_csv import RosterProblems
from engine.scope import Forbidden

log = logging.getLogger(__name__)
STATUS = {InvalidValue: 422, NotFound: 404, RuleViolation: 409, VersionConflict: 409}
TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    422: "Invalid input",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
UNPARSABLE = "There was an error parsing the body"  # FastAPI's words for any body it cannot parse
# A database that cannot be reached, or a wait for it that timed out: worth retrying later.
UNAVAILABLE: tuple[type[Exception], ...] = (
    persistence.OperationalError,
    persistence.InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)
SQLITE_BUSY = ("locked", "busy")


def problem(
    status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    body.update(extra)
    if (rid := request_id.get()) is not None:  # set by adapters/http/requests_log.py
        body["request_id"] = rid
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    return JSONResponse(
        body, status_code=status, media_type="application/problem+json", headers=headers
    )


def is_unavailable(error: BaseException) -> bool:
    """A fault of the database rather than of the request: the client should retry later."""
    if isinstance(error, UNAVAILABLE):
        return not (
            isinstance(error, persistence.OperationalError)
            and is_sqlite_mistake(error.__cause__ or error)
        )
    if isinstance(error, sqlite3.OperationalError):
        return not is_sqlite_mistake(error)
    return False


def is_sqlite_mistake(error: BaseException) -> bool:
    """SQLite reports a missing table and a busy file alike; only the second is a fault."""
    return isinstance(error, sqlite3.OperationalError) and not any(
        word in str(error) for word in SQLITE_BUSY
    )


def unavailable(retry_after: int, error: BaseException) -> JSONResponse:
    """503 problem with Retry-After, naming the database as what is down."""
    log.warning("database unavailable: %s", error)
    return problem(
        503,
        f"the database is unavailable, retry in {retry_after}s",
        headers={"Retry-After": str(retry_after)},
        unavailable="database",
    )


def field_name(loc: tuple[Any, ...]) -> str:
    """The field a validation error is about, as the caller named it.

    A query, path or header parameter is named alone: pydantic appends the member of a
    union it tried (`from` -> `from.date`), which is no name the caller used.
    """
    if loc and loc[0] in ("query", "path", "header") and len(loc) > 1:
        return str(loc[1])
    return ".".join(str(p) for p in loc if p != "body") or "body"


def install(app: FastAPI) -> None:
    """Registers the handlers on the FastAPI app."""

    @app.exception_handler(Unauthorized)
    async def unauthorized(_: Request, error: Unauthorized) -> JSONResponse:
        return problem(401, str(error))

    @app.exception_handler(Forbidden)
    async def forbidden(_: Request, error: Forbidden) -> JSONResponse:
        return problem(403, str(error))

    @app.exception_handler(RosterProblems)
    async def roster_problems(_: Request, error: RosterProblems) -> JSONResponse:
        problems = [p.as_dict() for p in error.problems]
        errors = [
            {
                "field": ":".join(
                    str(p[k]) for k in ("file", "line", "column") if p[k] is not None
                ),
                "reason": p["message"],
            }
            for p in problems
        ]
        return problem(422, error.message, problems=problems, errors=errors)

    @app.exception_handler(DomainError)
    async def domain(_: Request, error: DomainError) -> JSONResponse:
        status = next((s for kind, s in STATUS.items() if isinstance(error, kind)), 409)
        extra: dict[str, Any] = {"ids": error.ids}
        if isinstance(error, InvalidValue):
            extra["errors"] = [{"field": error.field, "reason": error.message}]
        return problem(status, error.message, **extra)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, error: HTTPException) -> JSONResponse:
        # The framework's own refusals (unknown route, wrong method, a body that does not
        # parse, e.g. JSON nested too deeply) answer in the same problem+json shape.
        detail = str(error.detail)
        if detail == UNPARSABLE:
            detail = "the body could not be read: it is not UTF-8 JSON, or it is nested too deeply"
        response = problem(error.status_code, detail)
        response.headers.update(error.headers or {})
        return response

    async def infrastructure(request: Request, error: Exception) -> JSONResponse:
        if not is_unavailable(error):
            raise error
        return unavailable(request.app.state.container.settings.retry_after_seconds, error)

    for kind in (*UNAVAILABLE, sqlite3.OperationalError):
        app.add_exception_handler(kind, infrastructure)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": field_name(e["loc"]), "reason": e["msg"].removeprefix("Value error, ")}
            for e in error.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        return problem(422, detail, errors=errors)
