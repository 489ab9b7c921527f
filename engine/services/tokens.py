"""Tokens as operators handle them: issue, rotate and retire signing keys, revoke.

The CLI (the operator who holds the secret and the database) calls the plain methods; the HTTP
routes call the `*_as` methods, which admit admins only.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from aggregates.errors import InvalidValue
from engine.commands import control_character
from engine.keyring import SharedKeyRing
from engine.ports import Revocation, SigningKeyRecord
from engine.revocation import RevocationList
from engine.scope import require_role
from engine.tokens import LocalTokens, Principal

LINES = frozenset("\n\t")


class TokenService:
    """Issues local tokens and keeps the key ring and the revocations."""

    def __init__(
        self, tokens: LocalTokens, ring: SharedKeyRing, revocations: RevocationList
    ) -> None:
        self.tokens = tokens
        self.ring = ring
        self.revocations = revocations

    def issue(self, subject: str, ttl_seconds: int, role: str | None = None) -> str:
        """A token for `subject`; issued after the subject's last revocation, never within it."""
        now = time.time()
        revoked_until = self.revocations.subject_revoked_until(subject)
        if revoked_until is not None and revoked_until >= int(now):
            # Revoking a subject revokes what was issued in its last second too; a token issued
            # right after that, in the same second, says the next one (within the leeway).
            now = revoked_until + 1
        return self.tokens.issue(subject, ttl_seconds, role=role, now=now)

    def rotate(self) -> SigningKeyRecord:
        return self.ring.rotate()

    def retire(self, kid: str) -> SigningKeyRecord:
        return self.ring.retire(kid)

    def key_ring(self) -> Sequence[SigningKeyRecord]:
        return self.ring.records()

    def signing_kid(self) -> str:
        return self.ring.signing()[0]

    def revoke(
        self, by: str, jti: str | None = None, subject: str | None = None, reason: str = ""
    ) -> Revocation:
        """Revokes one token (`jti`) or every token of `subject` issued until now."""
        if (jti is None) == (subject is None):
            raise InvalidValue("name either a token id (jti) or a subject", field="jti")
        check_text("reason", reason, 500, empty=True)
        if jti is not None:
            check_text("jti", jti, 200)
            return self.revocations.revoke_token(jti, by, reason)
        assert subject is not None
        check_text("subject", subject, 200)
        return self.revocations.revoke_subject(subject, by, reason)

    def revoke_as(
        self, who: Principal, jti: str | None, subject: str | None, reason: str
    ) -> dict[str, Any]:
        require_role(who, "admin")
        return described(self.revoke(who.actor, jti, subject, reason))

    def revocations_as(self, who: Principal) -> list[dict[str, Any]]:
        require_role(who, "admin")
        return [described(r) for r in self.revocations.all()]


def check_text(field: str, value: str, longest: int, empty: bool = False) -> None:
    """Refuses an empty (unless allowed), overlong or control-character value of `field`
    (a reason may span lines)."""
    allowed = LINES if field == "reason" else frozenset()
    if (not value and not empty) or len(value) > longest or control_character(value, allowed):
        raise InvalidValue(
            f"{field} must be {0 if empty else 1} to {longest} characters without control "
            "characters",
            field=field,
        )


def described(revocation: Revocation) -> dict[str, Any]:
    """A revocation as the API answers it."""
    body = asdict(revocation)
    body["revoked_at"] = revocation.revoked_at.isoformat()
    if revocation.kind == "token":
        del body["issued_until"]
    return body
