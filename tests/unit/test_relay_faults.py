"""The relay under faults: an event it cannot publish is parked and it goes on; a broker outage is retried
and reported to the health board."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import date

from kafka.errors import MessageSizeTooLargeError

from engine.application import PerfLedger
from engine.commands import SetGoal
from engine.health import HealthBoard
from engine.ports import Message
from engine.relay import Relay

LIMIT = 3000


class FussyBroker:
    """Refuses messages over LIMIT bytes (as Kafka does), and everything while it is down."""

    def __init__(self) -> None:
        self.published: list[bytes] = []
        self.down = False

    def publish(self, topic: str, messages: Sequence[Message]) -> None:
        if self.down:
            raise ConnectionRefusedError(111, "broker away")
        if any(len(m[1]) > LIMIT for m in messages):
            raise MessageSizeTooLargeError("the message is too large")
        self.published.extend(m[1] for m in messages)

    def close(self) -> None:
        return None


class OneLife:
    def current(self, timeout: float = 10.0) -> str:
        return "life-1"

    def close(self) -> None:
        return None


class Positions:
    def __init__(self) -> None:
        self.saved: tuple[str, int] | None = None

    def load(self) -> tuple[str, int] | None:
        return self.saved

    def save(self, life: str, position: int) -> None:
        self.saved = (life, position)


class Parked:
    def __init__(self) -> None:
        self.items: list[tuple[str, int, str, str]] = []

    def park(self, aggregate_id: str, version: int, source: str, reason: str, payload: bytes | None) -> None:
        self.items.append((aggregate_id, version, source, reason))


def goal(app: PerfLedger, description: str) -> str:
    return str(app.set_goal(SetGoal(agent_id="a1", team_id="t1", title="AHT", description=description,
                                    kpi="aht_seconds", target=300, direction="at_most",
                                    period_start=date(2026, 10, 1), period_end=date(2026, 12, 31), weight=1),
                            "admin:alice").id)


def test_an_event_the_broker_refuses_as_too_large_is_parked_and_the_rest_are_published() -> None:
    app = PerfLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    first, huge, last = goal(app, "small"), goal(app, "x" * (LIMIT + 500)), goal(app, "small")
    broker, parked, positions = FussyBroker(), Parked(), Positions()
    relay = Relay(app, broker, OneLife(), positions, "events", parking=parked)
    assert relay.step() == 2
    assert [p[:3] for p in parked.items] == [(huge, 1, "store:2")]
    assert parked.items[0][3].startswith("MessageSizeTooLargeError")
    assert sum(first.encode() in m for m in broker.published) == 1 and any(last.encode() in m
                                                                           for m in broker.published)
    assert positions.saved == ("life-1", 3) and relay.status.parked == 1


def test_a_broker_outage_is_retried_with_backoff_and_reported_until_it_ends() -> None:
    app = PerfLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    goal(app, "small")
    broker, board, stop = FussyBroker(), HealthBoard(), threading.Event()
    broker.down = True
    relay = Relay(app, broker, OneLife(), Positions(), "events", health=board, backoff_cap=0.05)
    thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    thread.start()
    try:
        while relay.status.errors < 3:
            stop.wait(0.01)
        (entry,) = board.entries()
        assert entry.component == "relay" and entry.position == "store:1" and "broker away" in (entry.reason or "")
        broker.down = False
        while not broker.published:
            stop.wait(0.01)
        while board.entries()[0].since is not None:
            stop.wait(0.01)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert board.entries()[0].retries >= 3
