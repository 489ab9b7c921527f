"""Bearer-token authentication: the token of a request parsed into its Principal.

What that principal may do is the application services' concern (engine/scope.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from engine.tokens import InvalidToken, Principal, verify

bearer = HTTPBearer(auto_error=False)


class Unauthorized(Exception):
    """No valid token (401)."""


def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    if credentials is None:
        raise Unauthorized("a bearer token is required")
    try:
        principal = verify(request.app.state.secret, credentials.credentials)
    except InvalidToken as error:
        raise Unauthorized(str(error)) from None
    request.state.principal = principal  # named in the access log (requests_log.py)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
