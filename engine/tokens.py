"""Signed, expiring bearer tokens: who the caller is, in which role, for which teams."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field

ROLES = ("admin", "manager", "agent", "auditor", "ingest")
MAX_TOKEN_LENGTH = 8192


class InvalidToken(Exception):
    """The token is malformed, forged or expired."""


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: the actor recorded on every event it causes."""

    role: str
    subject: str
    teams: tuple[str, ...] = field(default=())

    @property
    def actor(self) -> str:
        return f"{self.role}:{self.subject}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue(secret: str, principal: Principal, ttl_seconds: int, now: float | None = None) -> str:
    """A token for the principal, valid for ttl_seconds."""
    if principal.role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if not principal.subject:
        raise ValueError("subject must not be empty")
    claims = {
        "role": principal.role,
        "sub": principal.subject,
        "teams": list(principal.teams),
        "exp": int((now or time.time()) + ttl_seconds),
    }
    body = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_sign(secret, body)}"


def verify(secret: str, token: str, now: float | None = None) -> Principal:
    """The principal a token names; raises InvalidToken when it is not genuine and current."""
    # A genuine token is short base64url text; anything else (non-ASCII bytes included,
    # which compare_digest cannot compare as text) is simply not genuine.
    if len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        raise InvalidToken("token is not valid: expected base64url text")
    body, _, signature = token.partition(".")
    if not body or not signature or not hmac.compare_digest(signature, _sign(secret, body)):
        raise InvalidToken(
            "token signature is not valid: was it issued with another "
            "PERFLEDGER_DATA_DIR or PERFLEDGER_SECRET?"
        )
    try:
        claims = json.loads(_unb64(body))
        principal = Principal(str(claims["role"]), str(claims["sub"]), tuple(claims["teams"]))
        expires = int(claims["exp"])
    except (ValueError, KeyError, TypeError) as error:
        raise InvalidToken("token claims are malformed") from error
    if expires < (now or time.time()):
        raise InvalidToken("token has expired")
    if principal.role not in ROLES:
        raise InvalidToken("token role is unknown")
    return principal


def _sign(secret: str, body: str) -> str:
    return _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())
