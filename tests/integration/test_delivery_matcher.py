"""The matcher on each database: events find their team (from the event or an earlier event
of the same aggregate) and site, match team and site subscriptions, and queue each delivery
once however often the batch is read again."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from adapters.notify.matcher import DeliveryMatcher, Prepared
from adapters.sql import notify_store as store
from adapters.sql.database import Database
from adapters.sql.notify_store import SqlDeliveries
from aggregates.contract import EventEnvelope, encode

SUBSCRIBED_AT = "2026-11-20T10:00:00+00:00"


@dataclass
class Record:
    value: bytes
    key: bytes = b""
    topic: str = "perfledger.events"
    partition: int = 0
    offset: int = 0


def record(aggregate: str, version: int, type_: str, at: str, **data: object) -> Record:
    envelope = EventEnvelope(aggregate, version, type_, f"x:{type_}", at, "admin:a", data, version)
    return Record(encode(envelope))


def subscribed(sub_id: str, scope: str, scope_id: str, kinds: list[str]) -> Record:
    return record(
        sub_id,
        1,
        "Subscription.Created",
        SUBSCRIBED_AT,
        scope=scope,
        scope_id=scope_id,
        kinds=kinds,
        url="https://x.test/h",
        email=None,
        actor="admin:a",
    )


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    opened = Database(database_url)
    store.create_tables(opened)
    try:
        yield opened
    finally:
        opened.close()


def site_of(team_id: str) -> str | None:
    return {"team-01": "beijing"}.get(team_id)


def no_site(team_id: str) -> str | None:
    return None


def apply(db: Database, matcher: DeliveryMatcher, records: list[Record]) -> None:
    with db.transaction() as cur:
        matcher.apply(cur, Prepared(records, site_of))


def test_review_events_find_their_team_and_site_and_queue_once(db: Database) -> None:
    matcher = DeliveryMatcher("perfledger.events", "g", lambda: site_of)
    later = "2026-11-21T09:00:00+00:00"
    batch = [
        # The disputed review is on an earlier partition than the subscriptions in the batch.
        record("r1", 1, "Review.Started", later, team_id="team-01", agent_id="a1"),
        record("r1", 2, "Review.Disputed", later, reason="unfair", criterion=None),
        record("r0", 1, "Review.Started", "2026-11-19T08:00:00+00:00", team_id="team-01"),
        record("r0", 2, "Review.Disputed", "2026-11-19T09:00:00+00:00", reason="old"),
        subscribed("team-sub", "team", "team-01", ["dispute.filed"]),
        subscribed("site-sub", "site", "beijing", ["dispute.filed", "review.finalised"]),
        subscribed("other-sub", "team", "team-02", ["dispute.filed"]),
    ]
    apply(db, matcher, batch)
    apply(db, matcher, batch)  # read again after a crash: nothing new
    deliveries = SqlDeliveries(db)
    queued = {
        sub: [(d.event_key, d.kind) for d in deliveries.listing(sub, None, 10)]
        for sub in ("team-sub", "site-sub", "other-sub")
    }
    assert queued == {
        "team-sub": [("r1:2", "dispute.filed")],
        "site-sub": [("r1:2", "dispute.filed")],
        "other-sub": [],
    }
    assert matcher.counts.queued == 2
    # A review without a known team (its Started never seen) is counted, not guessed.
    apply(db, matcher, [record("r9", 3, "Review.Finalised", later, resolved_disputes=[])])
    assert matcher.counts.without_team == 1


def test_a_removed_subscription_gets_nothing_more(db: Database) -> None:
    matcher = DeliveryMatcher("perfledger.events", "g", lambda: no_site)
    later = "2026-11-21T09:00:00+00:00"
    apply(db, matcher, [subscribed("s", "team", "team-01", ["alert.raised"])])
    apply(db, matcher, [record("s", 2, "Subscription.Removed", later, actor="admin:a")])
    apply(db, matcher, [record("a1", 1, "Alert.Raised", later, team_id="team-01")])
    assert SqlDeliveries(db).listing("s", None, 10) == []
    (kept,) = SqlDeliveries(db).subscriptions()
    assert kept["active"] is False and kept["version"] == 2


def test_a_message_that_is_no_event_is_a_data_fault(db: Database) -> None:
    matcher = DeliveryMatcher("perfledger.events", "g", lambda: no_site)
    with pytest.raises(ValueError), db.transaction() as cur:
        matcher.apply(cur, Prepared([Record(b"not json")], no_site))
