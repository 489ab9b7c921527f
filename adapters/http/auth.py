"""Bearer-token authentication: the token of a request parsed into its Principal.

What that principal may do is the application services' concern (engine/scope.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from engine.sign_on import SignOn, SignOnRefused
from engine.tokens import InvalidToken, Principal, verify

bearer = HTTPBearer(auto_error=False)


class Unauthorized(Exception):
    """No valid token (401)."""


def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    if credentials is None:
        raise Unauthorized("a bearer token is required")
    token = credentials.credentials
    sign_on: SignOn | None = request.app.state.container.sign_on
    try:
        if sign_on is not None and sign_on.accepts(token):
            principal = sign_on.principal(token)  # the issuer's (adapters/http/sso.py)
        else:
            principal = verify(request.app.state.secret, token)
    except (InvalidToken, SignOnRefused) as error:
        raise Unauthorized(str(error)) from None
    request.state.principal = principal  # named in the access log (requests_log.py)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
