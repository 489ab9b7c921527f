"""The dashboard's single sign-on (authorization code with PKCE) and GET /v1/me.

GET /v1/auth/login sends the browser to the issuer, keeping state, nonce and PKCE verifier in
a signed HttpOnly cookie bound to the callback path, so a sign-in only completes in the browser
that started it. GET /v1/auth/callback exchanges the code, maps the person through the roster
and hands the page a short-lived perfledger token in an HttpOnly cookie readable only by
POST /v1/auth/session, once: no token ever travels in a URL, and the access log has none.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import logging
import time
from typing import Any

import jwt
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from adapters.http.auth import CurrentPrincipal, Unauthorized
from adapters.http.errors import problem
from engine.sign_on import IssuerUnavailable, PendingLogin, SignOn, SignOnRefused, who
from engine.tokens import ROLES, InvalidToken, Principal

log = logging.getLogger(__name__)
router = APIRouter(tags=["sign-in"])

CALLBACK = "/v1/auth/callback"
SESSION = "/v1/auth/session"
LOGIN_COOKIE = "perfledger_login"  # the pending sign-in, signed, sent back to the callback only
HANDOFF_COOKIE = "perfledger_handoff"  # the new session's token, for POST /v1/auth/session once
LOGIN_SECONDS = 600  # time to sign in at the issuer
HANDOFF_SECONDS = 60  # time for the page to take the session over after the redirect
NO_STORE = {"Cache-Control": "no-store"}


def example(answer: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` showing one example answer."""
    return {200: {"content": {"application/json": {"example": answer}}}}


ME = {
    "person_id": "p-0042",
    "display_name": "Ann Lee",
    "role": "manager",
    "email": "ann.lee@centre.example",
    "in_roster": True,
}


class NotConfigured(Exception):
    """No OpenID issuer is configured (404)."""


def sign_on_of(request: Request) -> SignOn:
    sign_on: SignOn | None = request.app.state.container.sign_on
    if sign_on is None:
        raise NotConfigured("single sign-on is not configured (PERFLEDGER_OIDC_ISSUER)")
    return sign_on


def cookie_key(request: Request) -> bytes:
    """The key of the sign-in cookie, derived from the signing secret for this use only."""
    key: bytes = request.app.state.sso_cookie_key
    return key


def redirect_uri(request: Request) -> str:
    base = request.app.state.container.settings.oidc_redirect_base_url or str(request.base_url)
    return base.rstrip("/") + CALLBACK


def secure(request: Request) -> bool:
    """Cookies marked Secure wherever the dashboard is served over https."""
    return redirect_uri(request).startswith("https://") or request.url.scheme == "https"


@router.get("/v1/auth/config", responses=example({"sso": True, "login_url": "/v1/auth/login"}))
def config(request: Request) -> dict[str, Any]:
    """Whether the dashboard signs in through an OpenID issuer, and where sign-in starts."""
    enabled = request.app.state.container.sign_on is not None
    return {"sso": enabled, "login_url": "/v1/auth/login" if enabled else None}


@router.get("/v1/auth/login", include_in_schema=False)  # a browser navigation, not an API
def login(request: Request) -> Response:
    """Starts a sign-in: redirects to the issuer with state, nonce and a PKCE challenge."""
    url, pending = sign_on_of(request).start(redirect_uri(request))
    claims = {**pending.__dict__, "exp": int(time.time()) + LOGIN_SECONDS}
    response = RedirectResponse(url, status_code=302, headers=NO_STORE)
    response.set_cookie(
        LOGIN_COOKIE,
        jwt.encode(claims, cookie_key(request), algorithm="HS256"),
        max_age=LOGIN_SECONDS,
        path=CALLBACK,
        httponly=True,
        secure=secure(request),
        samesite="lax",  # the issuer's redirect back is a cross-site navigation
    )
    return response


@router.get("/v1/auth/callback", include_in_schema=False)
def callback(
    request: Request,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
    error_description: str | None = None,
) -> Response:
    """The issuer's redirect back: exchanges the code and starts the dashboard's session."""
    try:
        if error is not None:
            raise SignOnRefused(
                f"the issuer refused the sign-in: {error}: {error_description or ''}"
            )
        pending = pending_login(request, state)
        if not code:
            raise SignOnRefused("the issuer's redirect carries no code")
        principal = sign_on_of(request).finish(pending, code)
        token = session_token(request, principal)
    except SignOnRefused as refused:
        return failed_page(401, str(refused))
    except IssuerUnavailable as down:
        log.warning("single sign-on: %s", down)
        return failed_page(503, "the single sign-on issuer is unavailable; try again shortly")
    log.info("single sign-on: %s signed in", principal.subject)
    response = RedirectResponse("/", status_code=303, headers=NO_STORE)
    response.delete_cookie(LOGIN_COOKIE, path=CALLBACK)
    response.set_cookie(
        HANDOFF_COOKIE,
        token,
        max_age=HANDOFF_SECONDS,
        path=SESSION,
        httponly=True,
        secure=secure(request),
        samesite="strict",
    )
    return response


def pending_login(request: Request, state: str | None) -> PendingLogin:
    """The sign-in this browser started, when the state the issuer sent back is its own."""
    cookie = request.cookies.get(LOGIN_COOKIE)
    if not cookie:
        raise SignOnRefused("no sign-in was started in this browser, or it took too long")
    try:
        kept = jwt.decode(cookie, cookie_key(request), algorithms=["HS256"])
        pending = PendingLogin(
            str(kept["state"]), str(kept["nonce"]), str(kept["verifier"]), str(kept["redirect_uri"])
        )
    except (jwt.PyJWTError, KeyError):
        raise SignOnRefused("the sign-in has expired or its cookie is not genuine") from None
    if not state or not hmac.compare_digest(state.encode(), pending.state.encode()):
        raise SignOnRefused("the issuer's redirect is not for the sign-in this browser started")
    return pending


def session_token(request: Request, principal: Principal) -> str:
    """A perfledger token for the signed-in person, valid for the configured session length."""
    container = request.app.state.container
    ttl = container.settings.oidc_session_seconds
    # The role rides along only where a token can name it; where principals are resolved from
    # the roster at request time, the roster's role wins over it anyway (a director's token
    # names the person only).
    role = principal.role if principal.role in ROLES else None
    try:
        token: str = container.services.tokens.issue(principal.subject, ttl, role=role)
        return token
    except ValueError as error:
        raise SignOnRefused(
            f"{principal.subject} cannot sign in to the dashboard: {error}"
        ) from None


def failed_page(status: int, reason: str) -> HTMLResponse:
    body = (
        "<!doctype html><meta charset=utf-8><title>Sign-in failed</title>"
        '<link rel="stylesheet" href="/static/dashboard.css">'
        f'<main class="card login"><h1>Sign-in failed</h1><p id="reason">{html.escape(reason)}</p>'
        '<p><a href="/">Back to the dashboard</a></p></main>'
    )
    return HTMLResponse(body, status_code=status, headers=NO_STORE)


@router.post(
    "/v1/auth/session",
    responses=example(
        {"token": "eyJ…", "token_type": "Bearer", "expires_in": 3600, "subject": "p-0042"}
    ),
)
def session(request: Request) -> Response:
    """The signed-in browser's session token, handed over once after the callback."""
    token = request.cookies.get(HANDOFF_COOKIE)
    if not token:
        raise Unauthorized("no sign-in to take over: sign in at /v1/auth/login")
    try:
        identity = request.app.state.container.authenticator.authenticate(token)
    except InvalidToken as error:
        raise Unauthorized(str(error)) from None
    expires_in = request.app.state.container.settings.oidc_session_seconds
    response = JSONResponse(
        {
            "token": token,
            "token_type": "Bearer",
            "expires_in": expires_in,
            "subject": identity.subject,
        },
        headers=NO_STORE,
    )
    response.delete_cookie(HANDOFF_COOKIE, path=SESSION)
    return response


@router.post(
    "/v1/auth/logout",
    responses=example({"end_session_url": "https://login.example/realms/centre/logout"}),
)
def logout(request: Request) -> Response:
    """Forgets a sign-in under way; the page drops its token. Names the issuer's sign-out page."""
    sign_on: SignOn | None = request.app.state.container.sign_on
    end = sign_on.end_session_url() if sign_on is not None else None
    response = JSONResponse({"end_session_url": end}, headers=NO_STORE)
    response.delete_cookie(LOGIN_COOKIE, path=CALLBACK)
    response.delete_cookie(HANDOFF_COOKIE, path=SESSION)
    return response


@router.get("/v1/me", responses=example(ME))
def me(request: Request, who_calls: CurrentPrincipal) -> dict[str, Any]:
    """The caller: person id, display name and role (from the roster when they are in it)."""
    return who(who_calls, request.app.state.container.roster)


def install(app: FastAPI) -> None:
    """The sign-in routes, /v1/me, and the answers when the issuer is down or not configured."""
    secret = app.state.container.settings.signing_secret().encode()
    app.state.sso_cookie_key = hmac.new(
        secret, b"perfledger sign-in cookie", hashlib.sha256
    ).digest()
    app.include_router(router)

    @app.exception_handler(IssuerUnavailable)
    async def unavailable(request: Request, error: IssuerUnavailable) -> JSONResponse:
        log.warning("single sign-on: %s", error)
        retry = request.app.state.container.settings.oidc_keys_refetch_seconds
        return problem(
            503,
            "the single sign-on issuer is unavailable: its tokens cannot be checked now",
            headers={"Retry-After": str(max(1, int(retry)))},
            unavailable="oidc_issuer",
        )

    @app.exception_handler(NotConfigured)
    async def not_configured(_: Request, error: NotConfigured) -> JSONResponse:
        return problem(404, str(error))
