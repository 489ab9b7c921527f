"""The outbox relay on the fakes of its ports: order, positions, broker lives (no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from aggregates.contract import decode
from engine.application import PerfLedger
from engine.commands import SetGoal
from engine.ports import Message
from engine.relay import Relay
from tests.fakes import FakeBrokerLife, FakePublisher, FakeRelayPositions

TOPIC = "events"


def add_goal(app: PerfLedger, agent_id: str) -> str:
    return str(
        app.set_goal(
            SetGoal(
                agent_id=agent_id,
                team_id="t1",
                title="AHT",
                description="",
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


def app_with_goals(count: int) -> tuple[PerfLedger, list[str]]:
    app = PerfLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    return app, [add_goal(app, f"a{n}") for n in range(count)]


def relay_of(
    app: PerfLedger,
    publisher: FakePublisher | None = None,
    life: FakeBrokerLife | None = None,
    positions: FakeRelayPositions | None = None,
    batch_size: int = 1000,
) -> Relay:
    return Relay(
        app,
        publisher or FakePublisher(),
        life or FakeBrokerLife(),
        positions or FakeRelayPositions(),
        TOPIC,
        batch_size=batch_size,
        life_max_age=0,
    )


def test_stored_events_publish_in_order_keyed_by_aggregate_position_kept_with_the_life() -> None:
    app, ids = app_with_goals(3)
    publisher, positions = FakePublisher(), FakeRelayPositions()
    relay = relay_of(app, publisher, positions=positions, batch_size=2)
    assert relay.step() == 2 and relay.step() == 1 and relay.step() == 0
    assert [m[0].decode() for m in publisher.topics[TOPIC]] == ids
    assert [decode(v).notification_id for v in publisher.values(TOPIC)] == [1, 2, 3]
    assert positions.saved == ("life-1", 3) and relay.status.published == 3


def test_a_restarted_relay_carries_on_from_its_saved_position() -> None:
    app, _ = app_with_goals(2)
    publisher, life, positions = FakePublisher(), FakeBrokerLife(), FakeRelayPositions()
    relay_of(app, publisher, life, positions).step()
    add_goal(app, "a9")
    assert relay_of(app, publisher, life, positions).step() == 1
    assert [decode(v).notification_id for v in publisher.values(TOPIC)] == [1, 2, 3]


def test_a_new_broker_life_voids_the_position_and_the_store_is_fed_again_from_the_start() -> None:
    app, _ = app_with_goals(2)
    publisher, life, positions = FakePublisher(), FakeBrokerLife(), FakeRelayPositions()
    relay = relay_of(app, publisher, life, positions)
    relay.step()
    life.restart()
    assert relay.step() == 2
    assert positions.saved == ("life-2", 2) and relay.status.refeeds == 1
    assert [decode(v).notification_id for v in publisher.values(TOPIC)] == [1, 2, 1, 2]


class RestartingPublisher(FakePublisher):
    """The broker restarts (empty) while the batch goes out."""

    def __init__(self, life: FakeBrokerLife) -> None:
        super().__init__()
        self.life = life
        self.restarts = 1

    def publish(self, topic: str, messages: Sequence[Message]) -> None:
        super().publish(topic, messages)
        if self.restarts:
            self.restarts -= 1
            self.life.restart()


def test_a_batch_published_into_a_broker_that_restarted_under_it_is_published_again() -> None:
    app, _ = app_with_goals(2)
    life, positions = FakeBrokerLife(), FakeRelayPositions()
    publisher = RestartingPublisher(life)
    relay = relay_of(app, publisher, life, positions)
    assert relay.step() == 0 and positions.saved is None  # not saved: it went into the old life
    assert relay.step() == 2 and positions.saved == ("life-2", 2)
    assert len(publisher.values(TOPIC)) == 4


def test_an_idle_relay_records_where_it_stands_once() -> None:
    app, _ = app_with_goals(0)
    positions = FakeRelayPositions()
    relay = relay_of(app, positions=positions)
    assert relay.step() == 0 and positions.saved == ("life-1", 0)
