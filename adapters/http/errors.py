"""Maps each error family to one HTTP status, once, as application/problem+json."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from adapters.http.auth import Forbidden, Unauthorized
from aggregates.errors import DomainError, InvalidValue, NotFound, RuleViolation, VersionConflict

STATUS = {InvalidValue: 422, NotFound: 404, RuleViolation: 409, VersionConflict: 409}
TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
          405: "Method Not Allowed", 409: "Conflict", 422: "Invalid input"}
UNPARSABLE = "There was an error parsing the body"  # FastAPI's words for any body it cannot parse


def problem(status: int, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status, "detail": detail}
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


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

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": field_name(e["loc"]), "reason": e["msg"].removeprefix("Value error, ")}
            for e in error.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        return problem(422, detail, errors=errors)
