"""The ring of token-signing keys: which key signs, which keys verify, read from the shared store.

A key is never stored. Each row of the ring (engine/ports.py `SigningKeyRecord`) holds a key id
and a random salt, and the key is HMAC-SHA256(secret, kid, salt) with the process's signing secret
(PERFLEDGER_SECRET, else the generated secret file): whoever reads the database alone cannot sign,
and every process that shares the secret and the database derives the same ring. The first key,
`k0`, has an empty salt, so an existing setup keeps its secret as its first key.

States: `active` keys sign (the newest one) and verify; `verify-only` keys verify what they signed
before a rotation; `retired` keys verify nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from engine.ports import KEY_STATES, SigningKeyRecord, SigningKeys

FIRST_KID = "k0"
ACTIVE, VERIFY_ONLY, RETIRED = KEY_STATES
CONTEXT = b"perfledger token key v1"  # apart from the seal key derived from the same secret
UNKNOWN_KID_RELOAD_SECONDS = 0.2  # an unknown kid re-reads the ring at most this often


class UnusableKey(Exception):
    """A key id the ring cannot verify with: unknown or retired."""


class RingError(ValueError):
    """A ring operation that cannot be done (an unknown key, retiring the only signing key)."""


def derive(secret: str, kid: str, salt: str) -> bytes:
    """The 32-byte HMAC key of a ring entry."""
    message = b"\x00".join((CONTEXT, kid.encode(), salt.encode()))
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def first_record(at: datetime | None = None) -> SigningKeyRecord:
    """The ring's first key: the signing secret itself (empty salt)."""
    moment = at or datetime.now(UTC)
    return SigningKeyRecord(FIRST_KID, "", ACTIVE, moment, moment)


def new_record(at: datetime | None = None) -> SigningKeyRecord:
    """A fresh active key: an id that sorts by creation day and a random salt."""
    moment = at or datetime.now(UTC)
    kid = f"k{moment:%Y%m%d}-{secrets.token_hex(3)}"
    return SigningKeyRecord(kid, secrets.token_hex(16), ACTIVE, moment, moment)


@dataclass(frozen=True)
class KeyRing:
    """One reading of the ring, with the keys derived."""

    secret: str
    records: tuple[SigningKeyRecord, ...]

    def signing(self) -> tuple[str, bytes]:
        """The kid and key new tokens are signed with: the newest active key."""
        active = [r for r in self.records if r.state == ACTIVE]
        if not active:
            raise RingError("no active signing key: run `perfledger token rotate`")
        newest = max(active, key=lambda r: (r.created_at, r.kid))
        return newest.kid, derive(self.secret, newest.kid, newest.salt)

    def verifying(self, kid: str) -> bytes:
        """The key that verifies tokens of `kid`; UnusableKey when unknown or retired."""
        for record in self.records:
            if record.kid == kid:
                if record.state == RETIRED:
                    raise UnusableKey(f"token signing key {kid} is retired")
                return derive(self.secret, record.kid, record.salt)
        raise UnusableKey(f"token signing key {kid!r} is unknown")

    def knows(self, kid: str) -> bool:
        return any(r.kid == kid for r in self.records)


def local_ring(secret: str) -> KeyRing:
    """The ring of a setup that never rotated: its secret as the first key (tests, tools)."""
    return KeyRing(secret, (first_record(),))


class SharedKeyRing:
    """The ring as the shared store holds it, re-read at most every `refresh_seconds`.

    A retirement reaches every process within `refresh_seconds`; a key id it does not know yet
    (a rotation made elsewhere) re-reads the ring at once (such re-reads at most every 0.2 s).
    """

    def __init__(
        self,
        store: SigningKeys,
        secret: str,
        refresh_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.secret = secret
        self.refresh_seconds = refresh_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._ring: KeyRing | None = None
        self._read_at = 0.0
        self._unknown_read_at = float("-inf")

    def current(self) -> KeyRing:
        """The ring, re-read when the last reading is older than `refresh_seconds`."""
        ring = self._ring
        if ring is not None and self.clock() - self._read_at < self.refresh_seconds:
            return ring
        return self._reload(ring)

    def verifying(self, kid: str) -> bytes:
        """The key of `kid`, re-reading the ring once when it does not know the kid yet."""
        ring = self.current()
        now = self.clock()
        # Throttled apart from the periodic re-reads: tokens naming made-up kids cost the
        # database at most one read per 0.2 s, and cannot hold back a genuine new key longer.
        if not ring.knows(kid) and now - self._unknown_read_at >= UNKNOWN_KID_RELOAD_SECONDS:
            self._unknown_read_at = now
            ring = self._reload(None)
        return ring.verifying(kid)

    def signing(self) -> tuple[str, bytes]:
        return self.current().signing()

    def records(self) -> Sequence[SigningKeyRecord]:
        """Every key of the ring, read now."""
        return self._reload(None).records

    def rotate(self) -> SigningKeyRecord:
        """A new active key; the keys active until now verify only."""
        self._ensure_first()
        record = new_record()
        self.store.rotate(record)
        self.invalidate()
        return record

    def retire(self, kid: str) -> SigningKeyRecord:
        """Tokens signed with `kid` stop verifying; the newest active key cannot be retired
        while no other key is active."""
        ring = self._reload(None)
        if not ring.knows(kid):
            raise RingError(f"no signing key {kid!r}; `perfledger token keys` lists them")
        others = [r for r in ring.records if r.state == ACTIVE and r.kid != kid]
        if not others and any(r.kid == kid and r.state == ACTIVE for r in ring.records):
            raise RingError(
                f"{kid} is the only active signing key: run `perfledger token rotate` first"
            )
        retired = self.store.retire(kid, datetime.now(UTC))
        self.invalidate()
        if retired is None:  # removed in between: nothing else removes keys, but say so
            raise RingError(f"no signing key {kid!r}")
        return retired

    def invalidate(self) -> None:
        """The next use re-reads the ring (after a change made by this process)."""
        self._read_at = float("-inf")

    def _ensure_first(self) -> None:
        self.store.add_first(first_record())

    def _reload(self, seen: KeyRing | None) -> KeyRing:
        with self._lock:
            if self._ring is not None and self._ring is not seen and seen is not None:
                return self._ring  # another thread re-read it while this one waited
            records = self.store.ring()
            if not records:
                self._ensure_first()
                records = self.store.ring()
            self._ring = KeyRing(self.secret, tuple(records))
            self._read_at = self.clock()
            return self._ring
