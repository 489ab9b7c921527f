"""Bearer-token authentication: the token of a request verified into an Identity, and the
Principal the application services act for.

Who the caller is comes from the token (engine/authentication.py: the verifier of its issuer,
then the shared revocations); what that principal may do is the application services' concern
(engine/scope.py). `principal_of` is the one place an identity becomes a principal.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from engine.tokens import Identity, InvalidToken, Principal

bearer = HTTPBearer(auto_error=False)


class Unauthorized(Exception):
    """No valid token (401)."""


def authenticate(request: Request, token: str) -> Identity:
    """The identity a bearer token names; Unauthorized when it is not genuine, current and
    unrevoked.

    Once per request: a middleware that asked first (auditor, idempotency) leaves the outcome
    for the route, so a database that cannot be asked is waited for once, not twice.
    """
    memo = getattr(request.state, "authenticated", None)
    if memo is None or memo[0] != token:
        try:
            outcome: Identity | Exception = request.app.state.container.authenticator.authenticate(
                token.strip()
            )
        except InvalidToken as error:
            outcome = Unauthorized(str(error))
        except Exception as error:  # noqa: BLE001 - kept for the route, which raises it again
            outcome = error
        memo = (token, outcome)
        request.state.authenticated = memo
    if isinstance(memo[1], Exception):
        raise memo[1]
    return memo[1]


def principal_of(identity: Identity, request: Request) -> Principal:
    """The principal a verified identity acts as.

    For now the token's `role` claim, and the `teams` claim of tokens issued with `--team`
    (a bridge until scope comes from the roster at request time).
    """
    del request  # what the roster says at request time will be read through it
    if identity.role is None:
        raise Unauthorized(f"the token of {identity.subject} names no role")
    return Principal(identity.role, identity.subject, identity.teams)


def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    if credentials is None:
        raise Unauthorized("a bearer token is required")
    identity = authenticate(request, credentials.credentials)
    principal = principal_of(identity, request)
    request.state.identity = identity
    request.state.principal = principal  # named in the access log (requests_log.py)
    return principal


def bearer_principal(request: Request) -> Principal | None:
    """For middlewares: the principal of the request's valid bearer token, else None (the
    route then answers 401, or 503 when the database cannot be asked)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        return principal_of(authenticate(request, token), request)
    except Exception:  # noqa: BLE001 - any failure is the route's to answer, with its status
        return None


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
