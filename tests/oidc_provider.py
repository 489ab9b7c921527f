"""A small OpenID provider of our own on a free loopback port, for the single sign-on tests.

It serves a discovery document, a key set with rotating keys (RSA, and one EC key), an
authorize endpoint that signs a test user in through a plain HTML form, and a token endpoint
that checks the client, the redirect URI and the PKCE verifier (S256) before it answers with
an ID token and an access token. Tests also mint access tokens of their own with `mint`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

CODE_SECONDS = 60
TOKEN_SECONDS = 300


@dataclass
class Key:
    """A signing key of the provider: its id, algorithm and private key."""

    kid: str
    alg: str
    private: Any

    def public_jwk(self) -> dict[str, Any]:
        algorithm = RSAAlgorithm if self.alg == "RS256" else ECAlgorithm
        jwk = json.loads(algorithm.to_jwk(self.private.public_key()))
        return {**jwk, "kid": self.kid, "alg": self.alg, "use": "sig"}


@dataclass
class Grant:
    """An authorization code's sign-in, until the client exchanges it (once)."""

    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str | None
    user: dict[str, Any]
    expires: float


@dataclass
class OidcProvider:
    """The provider; `start()` serves it on 127.0.0.1, `stop()` ends the server and its thread."""

    client_id: str = "perfledger"
    client_secret: str = "provider-client-secret"
    audience: str = "perfledger-api"
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # by login e-mail
    redirect_uris: set[str] = field(default_factory=set)
    keys: list[Key] = field(default_factory=list)
    codes: dict[str, Grant] = field(default_factory=dict)
    jwks_fetches: int = 0
    token_requests: int = 0

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.rotate()
        self.ec_key = Key("ec-1", "ES256", ec.generate_private_key(ec.SECP256R1()))
        self.keys.append(self.ec_key)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def signing_key(self) -> Key:
        return next(k for k in reversed(self.keys) if k.alg == "RS256")

    def start(self) -> OidcProvider:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)

    def rotate(self, retire: bool = False) -> Key:
        """A new RSA signing key, published beside the old ones (`retire`: instead of them)."""
        number = sum(k.alg == "RS256" for k in self.keys) + 1
        key = Key(f"rsa-{number}-{secrets.token_hex(3)}", "RS256", new_rsa_key())
        with self.lock:
            if retire:
                self.keys = [k for k in self.keys if k.alg != "RS256"]
            self.keys.append(key)
        return key

    def add_user(self, email: str, name: str, **claims: Any) -> None:
        self.users[email.lower()] = {"sub": f"idp-{email}", "email": email, "name": name, **claims}

    def mint(
        self,
        subject_claims: dict[str, Any] | None = None,
        key: Key | None = None,
        headers: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        """An access token signed like the provider's own (overrides by keyword; None drops)."""
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": "idp-someone",
            "iat": now,
            "exp": now + TOKEN_SECONDS,
            **(subject_claims or {}),
            **claims,
        }
        body = {name: value for name, value in body.items() if value is not None}
        signer = key or self.signing_key
        return jwt.encode(
            body,
            signer.private,
            algorithm=signer.alg,
            headers={"kid": signer.kid, **(headers or {})},
        )

    def jwks(self) -> dict[str, Any]:
        with self.lock:
            self.jwks_fetches += 1
            return {"keys": [k.public_jwk() for k in self.keys]}

    def discovery(self) -> dict[str, Any]:
        base = self.issuer
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "jwks_uri": f"{base}/jwks",
            "end_session_endpoint": f"{base}/logout",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["authorization_code"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    # --- the sign-in --------------------------------------------------------------------

    def authorize_problem(self, query: dict[str, str]) -> str | None:
        if query.get("client_id") != self.client_id:
            return "unknown client"
        if query.get("redirect_uri") not in self.redirect_uris:
            return f"redirect URI not registered: {query.get('redirect_uri')}"
        if query.get("response_type") != "code":
            return "only response_type=code"
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return "PKCE with S256 is required"
        if "openid" not in query.get("scope", "").split():
            return "the openid scope is required"
        return None

    def sign_in(self, form: dict[str, str]) -> str:
        """The redirect back to the client once the form names a known user."""
        user = self.users.get(form.get("email", "").strip().lower())
        target = form["redirect_uri"]
        if user is None:
            answer = {"error": "access_denied", "error_description": "unknown user"}
        else:
            code = secrets.token_urlsafe(24)
            with self.lock:
                self.codes[code] = Grant(
                    form["client_id"],
                    target,
                    form["code_challenge"],
                    form.get("nonce") or None,
                    user,
                    time.time() + CODE_SECONDS,
                )
            answer = {"code": code}
        if form.get("state"):
            answer["state"] = form["state"]
        return f"{target}?{urlencode(answer)}"

    def exchange(
        self, form: dict[str, str], authorization: str | None
    ) -> tuple[int, dict[str, Any]]:
        """The token endpoint: (status, JSON body)."""
        with self.lock:
            self.token_requests += 1
            grant = self.codes.pop(form.get("code", ""), None)  # a code is good once
        client_id, secret = client_credentials(form, authorization)
        if client_id != self.client_id or secret != self.client_secret:
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code" or grant is None:
            return 400, {"error": "invalid_grant", "error_description": "unknown or used code"}
        if grant.expires < time.time() or grant.client_id != client_id:
            return 400, {"error": "invalid_grant", "error_description": "expired code"}
        if form.get("redirect_uri") != grant.redirect_uri:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri differs"}
        verifier = form.get("code_verifier", "")
        if not verifier or s256(verifier) != grant.challenge:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verifier fails"}
        user = grant.user
        id_claims = {"aud": self.client_id, "azp": self.client_id, "nonce": grant.nonce, **user}
        return 200, {
            "token_type": "Bearer",
            "expires_in": TOKEN_SECONDS,
            "access_token": self.mint(user),
            "id_token": self.mint(**id_claims),
            "scope": "openid email profile",
        }


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def client_credentials(form: dict[str, str], authorization: str | None) -> tuple[str, str]:
    if authorization and authorization.startswith("Basic "):
        user, _, password = base64.b64decode(authorization[6:]).decode().partition(":")
        return user, password
    return form.get("client_id", ""), form.get("client_secret", "")


def single(values: dict[str, list[str]]) -> dict[str, str]:
    return {name: items[0] for name, items in values.items()}


def login_form(query: dict[str, str]) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(n)}" value="{html.escape(v)}">'
        for n, v in query.items()
    )
    return (
        "<!doctype html><meta charset=utf-8><title>Test provider sign-in</title>"
        f'<form method="post" action="/authorize" id="login">{hidden}'
        '<label>E-mail <input id="email" name="email" type="email" required></label>'
        '<label>Password <input id="password" name="password" type="password"></label>'
        '<button id="sign-in" type="submit">Sign in</button></form>'
    )


def handler_for(provider: OidcProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet test output

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = single(parse_qs(url.query))
            if url.path == "/.well-known/openid-configuration":
                self.answer_json(200, provider.discovery())
            elif url.path == "/jwks":
                self.answer_json(200, provider.jwks())
            elif url.path == "/authorize":
                problem = provider.authorize_problem(query)
                if problem:
                    self.answer(400, "text/plain", problem)
                else:
                    self.answer(200, "text/html; charset=utf-8", login_form(query))
            elif url.path == "/logout":
                self.answer(200, "text/html; charset=utf-8", "<p id=signed-out>Signed out</p>")
            else:
                self.answer(404, "text/plain", "not found")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = single(parse_qs(self.rfile.read(length).decode()))
            path = urlsplit(self.path).path
            if path == "/authorize":
                problem = provider.authorize_problem(form)
                if problem:
                    self.answer(400, "text/plain", problem)
                    return
                self.send_response(302)
                self.send_header("Location", provider.sign_in(form))
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif path == "/token":
                status, body = provider.exchange(form, self.headers.get("Authorization"))
                self.answer_json(status, body)
            else:
                self.answer(404, "text/plain", "not found")

        def answer_json(self, status: int, body: dict[str, Any]) -> None:
            self.answer(status, "application/json", json.dumps(body))

        def answer(self, status: int, content_type: str, text: str) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

    return Handler
