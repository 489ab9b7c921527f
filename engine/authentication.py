"""Who a bearer token says the caller is: the verifier of the token's issuer, then revocation.

Verification is pluggable by issuer: the local tokens (engine/tokens.py `LocalTokens`) are one
verifier, and an identity provider's access tokens can be another (same `TokenVerifier` shape).
Whatever verified a token, its identity is checked against the shared revocations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import jwt

from engine.revocation import RevocationList
from engine.tokens import Identity, InvalidToken, check_shape


class TokenVerifier(Protocol):
    """Verifies the tokens of one issuer; raises InvalidToken for any it does not accept."""

    @property
    def issuer(self) -> str: ...

    def verify(self, token: str) -> Identity: ...


class Authenticator:
    """Verifies bearer tokens with the verifier of their `iss` and refuses revoked ones."""

    def __init__(self, verifiers: Sequence[TokenVerifier], revocations: RevocationList) -> None:
        self.verifiers = {v.issuer: v for v in verifiers}
        self.revocations = revocations

    def add(self, verifier: TokenVerifier) -> None:
        """Accepts the tokens of one more issuer."""
        self.verifiers[verifier.issuer] = verifier

    def authenticate(self, token: str) -> Identity:
        """The caller's identity; InvalidToken when the token is not genuine, current and
        unrevoked."""
        check_shape(token)
        verifier = self.verifiers.get(unverified_issuer(token))
        if verifier is None:
            raise InvalidToken(
                f"token issuer is not accepted here (accepted: {', '.join(sorted(self.verifiers))})"
            )
        identity = verifier.verify(token)
        self.revocations.check(identity)
        return identity


def unverified_issuer(token: str) -> str:
    """The `iss` claim, read without verifying anything: only to choose the verifier."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        raise InvalidToken("token is not valid: its claims do not decode") from None
    issuer = claims.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise InvalidToken("token lacks the `iss` claim")
    return issuer
