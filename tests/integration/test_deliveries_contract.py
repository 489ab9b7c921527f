"""The Deliveries port's contract, run against its fake (tests/fakes.py) and the SQL queue
(adapters/sql/notify_store.py on SQLite and PostgreSQL)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any

import pytest

from adapters.sql import notify_store as store
from adapters.sql.database import Database
from adapters.sql.notify_store import SqlDeliveries
from engine.ports import Deliveries
from tests.fakes import FakeDeliveries


def subscription(version: int = 1, **changes: Any) -> dict[str, Any]:
    base = {
        "id": "s1",
        "scope": "team",
        "scope_id": "team-01",
        "kinds": ["alert.raised"],
        "url": "https://x.test/h",
        "email": None,
        "generation": 1,
        "active": True,
        "version": version,
        "since": "2026-11-20T10:00:00+00:00",
    }
    return {**base, **changes}


class Queue(ABC):
    """The port, and how a test puts a delivery into a status behind its back."""

    port: Deliveries

    @abstractmethod
    def put(self, delivery_id: str, subscription_id: str, status: str, created: float) -> None: ...


class FakeQueue(Queue):
    def __init__(self) -> None:
        self.port = self.fake = FakeDeliveries()

    def put(self, delivery_id: str, subscription_id: str, status: str, created: float) -> None:
        self.fake.queue[delivery_id] = store.Delivery(
            delivery_id,
            subscription_id,
            "e:1",
            "alert.raised",
            "webhook",
            "{}",
            status,
            3 if status == "dead" else 0,
            0.0,
            "boom" if status == "dead" else None,
            created,
            None,
        )


class SqlQueue(Queue):
    def __init__(self, db: Database) -> None:
        self.db = db
        self.port = self.sql = SqlDeliveries(db)

    def put(self, delivery_id: str, subscription_id: str, status: str, created: float) -> None:
        with self.db.transaction() as cur:
            store.enqueue(
                cur,
                [(delivery_id, subscription_id, "e:1", "alert.raised", "webhook", "{}")],
                created,
            )
        if status == "dead":
            for _ in range(3):
                self.sql.failed(delivery_id, "boom", 0.0)
            self.sql.failed(delivery_id, "boom", None)


class DeliveriesContract:
    @pytest.fixture
    def queue(self) -> Queue:
        raise NotImplementedError

    def test_a_newer_subscription_version_replaces_an_older_one_never_the_reverse(
        self, queue: Queue
    ) -> None:
        queue.port.record_subscription(subscription(2, kinds=["dispute.filed"]))
        queue.port.record_subscription(subscription(1))
        (found,) = queue.port.subscriptions()
        assert found["kinds"] == ["dispute.filed"] and found["version"] == 2

    def test_listing_filters_by_subscription_and_status_oldest_first(self, queue: Queue) -> None:
        queue.put("d2", "s1", "pending", 2.0)
        queue.put("d1", "s1", "dead", 1.0)
        queue.put("d3", "s2", "dead", 0.5)
        assert [d.delivery_id for d in queue.port.listing("s1", None, 10)] == ["d1", "d2"]
        (dead,) = queue.port.listing("s1", "dead", 10)
        assert dead.delivery_id == "d1" and dead.last_error == "boom"
        assert [d.delivery_id for d in queue.port.listing("s1", None, 1)] == ["d1"]

    def test_replay_queues_dead_letters_again_with_a_fresh_budget(self, queue: Queue) -> None:
        queue.put("d1", "s1", "dead", 1.0)
        queue.put("d2", "s1", "dead", 2.0)
        queue.put("d3", "s1", "pending", 3.0)
        assert queue.port.replay("s1", "d1", 5.0) == 1
        assert queue.port.replay("s1", "d1", 5.0) == 0
        assert queue.port.replay("s2", None, 5.0) == 0
        assert queue.port.replay("s1", None, 5.0) == 1
        assert {(d.status, d.attempts) for d in queue.port.listing("s1", None, 10)} == {
            ("pending", 0)
        }
        assert queue.port.counts() == {"pending": 3}


class TestFakeDeliveries(DeliveriesContract):
    @pytest.fixture
    def queue(self) -> Queue:
        return FakeQueue()


class TestSqlDeliveries(DeliveriesContract):
    @pytest.fixture
    def queue(self, database_url: str) -> Iterator[Queue]:
        db = Database(database_url)
        store.create_tables(db)
        try:
            yield SqlQueue(db)
        finally:
            db.close()
