"""Bearer tokens: JWTs (PyJWT) that say who the caller is, signed from the key ring.

A token carries `iss`, `aud`, `sub`, `iat`, `exp`, `jti` and the `kid` of the key that signed it
(engine/keyring.py), HS256 only. It says who the caller is (`Identity`); what they may touch is
decided at request time (adapters/http/auth.py `principal_of`, engine/scope.py). A `role` claim
is kept for principals outside the roster only (ingest feeds, service accounts).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

import jwt

from engine.callers import Principal as Principal  # who the caller is, once the roster says
from engine.keyring import UnusableKey

ROLES = ("admin", "manager", "agent", "auditor", "ingest")
DEFAULT_ISSUER = "perfledger"
DEFAULT_AUDIENCE = "perfledger-api"
ALGORITHMS = ("HS256",)  # pinned: no `none`, no other family a key could be confused with
REQUIRED_CLAIMS = ("iss", "aud", "sub", "iat", "exp", "jti")
MAX_TOKEN_LENGTH = 8192  # ours are ~300 characters; an identity provider's may be a few KB
MAX_SUBJECT_LENGTH = 200
OTHER_SECRET = (
    "token signature is not valid: was it issued with another PERFLEDGER_DATA_DIR or "
    "PERFLEDGER_SECRET?"
)


class InvalidToken(Exception):
    """The token is malformed, forged, expired, revoked or signed with an unusable key."""


@dataclass(frozen=True)
class Identity:
    """Who a verified token says the caller is (what they may touch comes from the roster)."""

    subject: str
    role: str | None
    jti: str
    issued_at: int
    expires_at: int
    issuer: str


class KeySource(Protocol):
    """Where tokens get their keys: engine/keyring.py `KeyRing` or `SharedKeyRing`."""

    def signing(self) -> tuple[str, bytes]: ...
    def verifying(self, kid: str) -> bytes: ...


class LocalTokens:
    """The tokens this deployment issues and verifies: one issuer, one audience, the key ring."""

    def __init__(
        self,
        keys: KeySource,
        issuer: str,
        audience: str,
        leeway_seconds: float = 30.0,
        max_ttl_seconds: int = 90 * 86400,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leeway_seconds = leeway_seconds
        self.max_ttl_seconds = max_ttl_seconds

    def issue(
        self,
        subject: str,
        ttl_seconds: int,
        role: str | None = None,
        now: float | None = None,
    ) -> str:
        """A signed token for `subject`, valid for `ttl_seconds` from `now`."""
        check_subject(subject)
        if role is not None and role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if not 1 <= ttl_seconds <= self.max_ttl_seconds:
            raise ValueError(
                f"the lifetime must be between 1 and {self.max_ttl_seconds} seconds "
                "(PERFLEDGER_TOKEN_MAX_TTL_SECONDS)"
            )
        issued = int(time.time() if now is None else now)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": issued,
            "exp": issued + ttl_seconds,
            "jti": uuid.uuid4().hex,
        }
        if role is not None:
            claims["role"] = role
        kid, key = self.keys.signing()
        return jwt.encode(claims, key, algorithm=ALGORITHMS[0], headers={"kid": kid})

    def verify(self, token: str) -> Identity:
        """The identity a genuine, current token names; InvalidToken otherwise."""
        check_shape(token)
        kid = header_kid(token)
        try:
            key = self.keys.verifying(kid)
        except UnusableKey as error:
            raise InvalidToken(str(error)) from None
        claims = decode(token, key, self.issuer, self.audience, self.leeway_seconds)
        return identity_of(claims)


def check_subject(subject: str) -> None:
    if not subject or len(subject) > MAX_SUBJECT_LENGTH or not subject.isprintable():
        raise ValueError(
            f"subject must be 1 to {MAX_SUBJECT_LENGTH} printable characters, got {subject!r}"
        )


def check_shape(token: str) -> None:
    """Refuses, before any parsing, what cannot be a token of ours."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken(f"token is not valid: longer than {MAX_TOKEN_LENGTH} characters")
    if not token.isascii() or not token.isprintable():
        raise InvalidToken("token is not valid: expected a JWT (base64url text)")
    parts = token.split(".")
    if len(parts) == 2 and all(parts):
        raise InvalidToken(
            "token is of the format perfledger used before JWTs: issue a new one with "
            "`perfledger token issue`"
        )
    if len(parts) != 3:
        raise InvalidToken("token is not valid: expected a JWT (three base64url parts)")


def header_kid(token: str) -> str:
    """The `kid` of a token whose header names an accepted algorithm (not yet verified)."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise InvalidToken("token is not valid: its header does not decode") from None
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        accepted = ", ".join(ALGORITHMS)
        raise InvalidToken(f"token algorithm {str(algorithm)[:20]!r} is not accepted ({accepted})")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise InvalidToken("token names no signing key (no `kid` header)")
    return kid


def decode(token: str, key: bytes, issuer: str, audience: str, leeway: float) -> dict[str, Any]:
    """The claims of a token signed with `key`, for `issuer` and `audience`, current now."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=list(ALGORITHMS),
            audience=audience,
            issuer=issuer,
            leeway=leeway,
            options={"require": list(REQUIRED_CLAIMS), "strict_aud": True},
        )
    except jwt.InvalidSignatureError:
        raise InvalidToken(OTHER_SECRET) from None
    except jwt.ExpiredSignatureError:
        raise InvalidToken("token has expired") from None
    except jwt.ImmatureSignatureError:
        raise InvalidToken("token is not valid yet: issued in the future (clocks apart?)") from None
    except jwt.MissingRequiredClaimError as error:
        raise InvalidToken(f"token lacks the `{error.claim}` claim") from None
    except jwt.InvalidIssuerError:
        raise InvalidToken(f"token was not issued by {issuer}") from None
    except jwt.InvalidAudienceError:
        raise InvalidToken(f"token is not meant for {audience}") from None
    except jwt.InvalidTokenError:
        raise InvalidToken("token is not valid: its claims are malformed") from None
    return claims


def unverified_jti(token: str) -> str:
    """The `jti` a token names, read without verifying it (to revoke it: harmless if forged)."""
    try:
        check_shape(token)
        jti = jwt.decode(token, options={"verify_signature": False}).get("jti")
    except (InvalidToken, jwt.InvalidTokenError) as error:
        raise ValueError(f"not a token: {error}") from None
    if not isinstance(jti, str) or not jti:
        raise ValueError("the token names no id (`jti`)")
    return jti


def identity_of(claims: dict[str, Any]) -> Identity:
    """The identity of verified claims, each of the type it must have."""
    subject, jti, role = claims["sub"], claims["jti"], claims.get("role")
    if not isinstance(subject, str) or not subject or len(subject) > MAX_SUBJECT_LENGTH:
        raise InvalidToken("token subject is not valid")
    if not isinstance(jti, str) or not jti:
        raise InvalidToken("token id (`jti`) is not valid")
    if role is not None and role not in ROLES:
        raise InvalidToken("token role is unknown")
    return Identity(
        subject=subject,
        role=role,
        jti=jti,
        issued_at=int(claims["iat"]),
        expires_at=int(claims["exp"]),
        issuer=str(claims["iss"]),
    )
