"""The relay under faults: an event it cannot publish is parked and it goes on; a broker outage is
retried and reported to the health board."""

from __future__ import annotations

import threading
from datetime import date

from engine.application import PerfLedger
from engine.commands import SetGoal
from engine.health import HealthBoard
from engine.relay import Relay
from tests.fakes import FakeBrokerLife, FakeParking, FakePublisher, FakeRelayPositions

LIMIT = 3000  # the broker refuses messages over this many bytes


def goal(app: PerfLedger, description: str) -> str:
    return str(
        app.set_goal(
            SetGoal(
                agent_id="a1",
                team_id="t1",
                title="AHT",
                description=description,
                kpi="aht_seconds",
                target=300,
                direction="at_most",
                period_start=date(2026, 10, 1),
                period_end=date(2026, 12, 31),
                weight=1,
            ),
            "admin:alice",
        ).id
    )


def test_an_event_the_broker_refuses_as_too_large_is_parked_and_the_rest_are_published() -> None:
    app = PerfLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    first, huge, last = goal(app, "small"), goal(app, "x" * (LIMIT + 500)), goal(app, "small")
    broker, parked, positions = FakePublisher(max_bytes=LIMIT), FakeParking(), FakeRelayPositions()
    relay = Relay(app, broker, FakeBrokerLife(), positions, "events", parking=parked)
    assert relay.step() == 2
    assert [(*key, entry[0]) for key, entry in parked.parked.items()] == [(huge, 1, "store:2")]
    assert parked.parked[(huge, 1)][1].startswith("MessageSizeTooLargeError")
    published = broker.values("events")
    assert sum(first.encode() in m for m in published) == 1 and any(
        last.encode() in m for m in published
    )
    assert positions.saved == ("life-1", 3) and relay.status.parked == 1


def test_a_broker_outage_is_retried_with_backoff_and_reported_until_it_ends() -> None:
    app = PerfLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    goal(app, "small")
    broker, board, stop = FakePublisher(max_bytes=LIMIT), HealthBoard(), threading.Event()
    broker.down = True
    relay = Relay(
        app,
        broker,
        FakeBrokerLife(),
        FakeRelayPositions(),
        "events",
        health=board,
        backoff_cap=0.05,
    )
    thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    thread.start()
    try:
        while relay.status.errors < 3:
            stop.wait(0.01)
        (entry,) = board.entries()
        assert (
            entry.component == "relay"
            and entry.position == "store:1"
            and "broker away" in (entry.reason or "")
        )
        broker.down = False
        while not broker.values("events"):
            stop.wait(0.01)
        while board.entries()[0].since is not None:
            stop.wait(0.01)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert board.entries()[0].retries >= 3
