"""The token stores' contract (engine/ports.py `SigningKeys`, `Revocations`), run against the fakes
(tests/fakes.py) and the SQL adapters on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.sql.revocations import SqlRevocations
from adapters.sql.token_keys import SqlSigningKeys
from engine.bootstrap import open_database
from engine.bootstrap.tokens import create_token_tables
from engine.ports import Revocation, Revocations, SigningKeyRecord, SigningKeys
from tests.fakes import FakeRevocations, FakeSigningKeys

T0 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def key(kid: str, minutes: int, state: str = "active") -> SigningKeyRecord:
    at = T0 + timedelta(minutes=minutes)
    return SigningKeyRecord(kid, f"salt-{kid}", state, at, at)


def revocation(kind: str, value: str, until: int = 0, minutes: int = 0) -> Revocation:
    return Revocation(kind, value, until, T0 + timedelta(minutes=minutes), "admin:root", "why")


class StoresContract:
    """What both stores promise, whatever holds them."""

    @pytest.fixture
    def stores(self) -> Iterator[tuple[SigningKeys, Revocations]]:
        raise NotImplementedError

    def test_the_first_key_is_added_once(self, stores: Any) -> None:
        keys, _ = stores
        assert keys.ring() == []
        keys.add_first(key("k0", 0))
        keys.add_first(key("k0", 5, state="verify-only"))
        assert keys.ring() == [key("k0", 0)]

    def test_a_rotation_adds_the_new_key_and_demotes_every_active_one(self, stores: Any) -> None:
        keys, _ = stores
        keys.add_first(key("k0", 0))
        keys.rotate(key("k1", 1))
        keys.rotate(key("k2", 2))
        ring = keys.ring()
        assert [(r.kid, r.state) for r in ring] == [
            ("k0", "verify-only"),
            ("k1", "verify-only"),
            ("k2", "active"),
        ]
        assert ring[0].changed_at == T0 + timedelta(minutes=1)
        assert ring[1].salt == "salt-k1" and ring[1].created_at == T0 + timedelta(minutes=1)

    def test_retiring_a_key_keeps_its_row_and_an_unknown_one_is_none(self, stores: Any) -> None:
        keys, _ = stores
        keys.add_first(key("k0", 0))
        keys.rotate(key("k1", 1))
        retired = keys.retire("k0", T0 + timedelta(minutes=9))
        assert retired is not None and retired.state == "retired"
        assert retired.changed_at == T0 + timedelta(minutes=9)
        again = keys.retire("k0", T0 + timedelta(minutes=20))
        assert again == retired  # retiring twice changes nothing
        assert keys.retire("k-none", T0) is None
        assert [(r.kid, r.state) for r in keys.ring()] == [("k0", "retired"), ("k1", "active")]

    def test_a_token_revocation_keeps_its_first_record(self, stores: Any) -> None:
        _, revocations = stores
        first = revocations.revoke(revocation("token", "j-1"))
        assert revocations.revoke(revocation("token", "j-1", minutes=3)) == first
        assert revocations.all() == [first]

    def test_a_subject_revocation_keeps_the_latest_second(self, stores: Any) -> None:
        _, revocations = stores
        revocations.revoke(revocation("subject", "alice", until=100, minutes=1))
        later = revocations.revoke(revocation("subject", "alice", until=200, minutes=2))
        assert later.issued_until == 200
        assert revocations.revoke(revocation("subject", "alice", until=150, minutes=3)) == later
        assert revocations.all() == [later]

    def test_a_token_and_a_subject_of_the_same_value_are_apart(self, stores: Any) -> None:
        _, revocations = stores
        revocations.revoke(revocation("token", "x", minutes=1))
        revocations.revoke(revocation("subject", "x", until=5, minutes=2))
        assert [(r.kind, r.value) for r in revocations.all()] == [("token", "x"), ("subject", "x")]

    def test_prune_drops_token_revocations_made_before_a_moment_only(self, stores: Any) -> None:
        _, revocations = stores
        revocations.revoke(revocation("token", "old", minutes=1))
        revocations.revoke(revocation("token", "new", minutes=10))
        revocations.revoke(revocation("subject", "alice", until=5, minutes=1))
        assert revocations.prune(T0 + timedelta(minutes=5)) == 1
        assert {r.value for r in revocations.all()} == {"new", "alice"}

    def test_text_of_any_kind_round_trips(self, stores: Any) -> None:
        _, revocations = stores
        odd = Revocation("subject", "zoë 'o\"b", 7, T0, "admin:ünï", "reason; DROP TABLE x")
        assert revocations.revoke(odd) == odd
        assert revocations.all() == [odd]


class TestFakeStores(StoresContract):
    @pytest.fixture
    def stores(self) -> Iterator[tuple[SigningKeys, Revocations]]:
        yield FakeSigningKeys(), FakeRevocations()


class TestSqlStores(StoresContract):
    @pytest.fixture
    def stores(self, database_url: str) -> Iterator[tuple[SigningKeys, Revocations]]:
        db = open_database(database_url)
        try:
            create_token_tables(db)
            yield SqlSigningKeys(db), SqlRevocations(db)
        finally:
            db.close()
