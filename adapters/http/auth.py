"""Bearer-token authentication: the token says who the caller is, the roster what they are now.

`principal_of` is the one place a verified token becomes a Principal: the engine resolves its
subject against the roster at request time (engine/callers.py). What that principal may do is
the application services' concern (engine/scope.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from engine.callers import Claims, Forbidden, Principal
from engine.tokens import InvalidToken, verify

bearer = HTTPBearer(auto_error=False)


class Unauthorized(Exception):
    """No valid token (401)."""


def principal_of(identity: Claims, request: Request) -> Principal:
    """The caller a verified token names, as the roster describes them now (NotOnRoster: 403)."""
    return request.app.state.container.services.callers.principal(identity)  # type: ignore[no-any-return]


def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    if credentials is None:
        raise Unauthorized("a bearer token is required")
    try:
        identity = verify(request.app.state.secret, credentials.credentials)
    except InvalidToken as error:
        raise Unauthorized(str(error)) from None
    principal = principal_of(identity, request)
    request.state.principal = principal  # named in the access log (requests_log.py)
    return principal


def bearer_principal(request: Request) -> Principal | None:
    """The caller of a request, for middlewares: None without a valid token of a known caller
    (the route itself then answers 401 or 403)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        return principal_of(verify(request.app.state.secret, token.strip()), request)
    except (InvalidToken, Forbidden):
        return None


async def middleware_principal(request: Request) -> Principal | None:
    """bearer_principal off the event loop: the roster it asks may read the database (whose
    faults propagate, for the middleware to answer 503)."""
    return await run_in_threadpool(bearer_principal, request)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
