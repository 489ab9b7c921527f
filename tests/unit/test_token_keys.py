"""Key rotation: the shared ring signs with its newest active key, verifies with earlier ones
until they are retired, and every process follows changes made by another."""

from __future__ import annotations

import jwt
import pytest

from engine.keyring import FIRST_KID, RingError, SharedKeyRing, UnusableKey, derive
from engine.ports import SigningKeyRecord
from engine.tokens import DEFAULT_AUDIENCE, DEFAULT_ISSUER, InvalidToken, LocalTokens
from tests.fakes import FakeSigningKeys

SECRET = "unit-test-secret-0123456789"


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def process(store: FakeSigningKeys, clock: Clock, secret: str = SECRET) -> LocalTokens:
    """One process's local tokens over the shared ring (re-read every second)."""
    ring = SharedKeyRing(store, secret, refresh_seconds=1.0, clock=clock)
    return LocalTokens(ring, DEFAULT_ISSUER, DEFAULT_AUDIENCE)


def ring_of(tokens: LocalTokens) -> SharedKeyRing:
    assert isinstance(tokens.keys, SharedKeyRing)
    return tokens.keys


def kid(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


def test_a_new_ring_starts_with_the_secret_as_its_first_key() -> None:
    store = FakeSigningKeys()
    tokens = process(store, Clock())
    token = tokens.issue("alice", 60)
    assert kid(token) == FIRST_KID and [r.kid for r in store.ring()] == [FIRST_KID]
    assert jwt.decode(token, derive(SECRET, FIRST_KID, ""), ["HS256"], audience=DEFAULT_AUDIENCE)


def test_after_a_rotation_new_tokens_use_the_new_key_and_old_ones_verify_until_retired() -> None:
    store, clock = FakeSigningKeys(), Clock()
    tokens = process(store, clock)
    old = tokens.issue("alice", 60)
    new_kid = ring_of(tokens).rotate().kid
    new = tokens.issue("bob", 60)
    assert kid(new) == new_kid != FIRST_KID
    assert {r.kid: r.state for r in store.ring()} == {FIRST_KID: "verify-only", new_kid: "active"}
    assert tokens.verify(old).subject == "alice" and tokens.verify(new).subject == "bob"
    ring_of(tokens).retire(FIRST_KID)
    with pytest.raises(InvalidToken, match="k0 is retired"):
        tokens.verify(old)
    assert tokens.verify(new).subject == "bob"


def test_the_only_active_key_cannot_be_retired_and_an_unknown_one_is_named() -> None:
    tokens = process(FakeSigningKeys(), Clock())
    with pytest.raises(RingError, match="rotate` first"):
        ring_of(tokens).retire(FIRST_KID)
    with pytest.raises(RingError, match="no signing key 'k-x'"):
        ring_of(tokens).retire("k-x")
    assert tokens.verify(tokens.issue("alice", 60)).subject == "alice"


def test_a_key_rotated_by_another_process_verifies_at_once() -> None:
    store, clock = FakeSigningKeys(), Clock()
    here, there = process(store, clock), process(store, clock)
    here.verify(here.issue("alice", 60))  # `here` has read the ring
    ring_of(there).rotate()
    token = there.issue("bob", 60)
    # Within `here`'s refresh (the clock has not moved), but an unknown kid re-reads the ring.
    assert here.verify(token).subject == "bob"


def test_made_up_key_ids_re_read_the_ring_at_most_every_fifth_of_a_second() -> None:
    class Counting(FakeSigningKeys):
        reads = 0

        def ring(self) -> list[SigningKeyRecord]:
            Counting.reads += 1
            return super().ring()

    store, clock = Counting(), Clock()
    tokens = process(store, clock)
    ring = ring_of(tokens)
    ring.current()
    reads = Counting.reads
    for n in range(20):
        with pytest.raises(UnusableKey):
            ring.verifying(f"k-made-up-{n}")
    assert Counting.reads == reads + 1
    clock.now += 0.2
    with pytest.raises(UnusableKey):
        ring.verifying("k-made-up")
    assert Counting.reads == reads + 2


def test_a_key_retired_by_another_process_stops_verifying_within_the_refresh() -> None:
    store, clock = FakeSigningKeys(), Clock()
    here, there = process(store, clock), process(store, clock)
    old = here.issue("alice", 60)
    ring_of(there).rotate()
    assert here.verify(old).subject == "alice"
    ring_of(there).retire(FIRST_KID)
    clock.now += 1.0
    with pytest.raises(InvalidToken, match="retired"):
        here.verify(old)


def test_processes_with_another_secret_derive_other_keys_from_the_same_ring() -> None:
    store, clock = FakeSigningKeys(), Clock()
    here, other = process(store, clock), process(store, clock, "another-secret-9876543210")
    with pytest.raises(InvalidToken, match="another PERFLEDGER_DATA_DIR or PERFLEDGER_SECRET"):
        here.verify(other.issue("alice", 60))


def test_the_ring_stores_no_key_material() -> None:
    store = FakeSigningKeys()
    tokens = process(store, Clock())
    ring_of(tokens).rotate()
    for record in store.ring():
        key = derive(SECRET, record.kid, record.salt)
        assert key.hex() not in repr(record) and SECRET not in repr(record)
