"""Revoked tokens and subjects, checked on every request from a copy re-read every second or so.

The list lives in the database every process shares (engine/ports.py `Revocations`). Each
process keeps a copy and re-reads it when it is older than `refresh_seconds`
(PERFLEDGER_TOKEN_REFRESH_SECONDS, 1 s by default), so a revocation made by any process is
refused by every other within that time; the process that revoked re-reads at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from engine.ports import Revocation, Revocations
from engine.tokens import Identity, InvalidToken


class RevocationList:
    """The shared revocations, cached; `check` refuses a revoked identity."""

    def __init__(
        self,
        store: Revocations,
        refresh_seconds: float,
        keep_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.refresh_seconds = refresh_seconds
        self.keep_seconds = keep_seconds  # a token revocation outlives every token it can name
        self.clock = clock
        self._lock = threading.Lock()
        self._tokens: frozenset[str] = frozenset()
        self._subjects: dict[str, int] = {}
        self._read_at = float("-inf")

    def check(self, identity: Identity) -> None:
        """Raises InvalidToken when the token, or every token of its subject then, is revoked."""
        if self.clock() - self._read_at >= self.refresh_seconds:
            self._reload(force=False)
        if identity.jti in self._tokens:
            raise InvalidToken("token has been revoked")
        until = self._subjects.get(identity.subject)
        if until is not None and identity.issued_at <= until:
            raise InvalidToken(f"every token of {identity.subject} issued until then was revoked")

    def revoke_token(self, jti: str, by: str, reason: str) -> Revocation:
        """Revokes one token by its id."""
        now = datetime.now(UTC)
        made = self.store.revoke(Revocation("token", jti, 0, now, by, reason))
        self.store.prune(now - timedelta(seconds=self.keep_seconds))
        self._read_at = float("-inf")
        return made

    def revoke_subject(self, subject: str, by: str, reason: str) -> Revocation:
        """Revokes every token of `subject` issued until now (this very second included)."""
        now = datetime.now(UTC)
        until = int(now.timestamp())
        made = self.store.revoke(Revocation("subject", subject, until, now, by, reason))
        self._read_at = float("-inf")
        return made

    def subject_revoked_until(self, subject: str) -> int | None:
        """The last second of issue revoked for `subject` (a new token is issued after it)."""
        self._reload(force=True)
        return self._subjects.get(subject)

    def all(self) -> list[Revocation]:
        return self.store.all()

    def _reload(self, force: bool) -> None:
        with self._lock:
            if not force and self.clock() - self._read_at < self.refresh_seconds:
                return  # another thread re-read it while this one waited
            revocations = self.store.all()
            self._tokens = frozenset(r.value for r in revocations if r.kind == "token")
            self._subjects = {r.value: r.issued_until for r in revocations if r.kind == "subject"}
            self._read_at = self.clock()
