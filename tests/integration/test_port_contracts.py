"""One contract per port of engine/ports.py, run against its fake (tests/fakes.py) and its real
adapters: SQLite and PostgreSQL for the read-model ports, the embedded broker for the publisher
and the broker life. A fake that passes here may stand in for the adapter in unit tests.

Each contract is a class of tests over a `world` fixture, subclassed once per implementation
(as eventsourcing tests its recorders per backend). A world holds the port and feeds it the way
production does: domain events through the projections' builders, telephony as accepted.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, TopicPartition

from adapters.kafka.broker import EmbeddedBroker
from adapters.kafka.client import ensure_topics, security_options, topics_of
from adapters.kafka.life import BrokerLife
from adapters.kafka.publisher import KafkaPublisher
from adapters.sql.alert_source import SqlAlertSource
from adapters.sql.documents_view import DocView
from adapters.sql.kpi_view import KpiView
from adapters.sql.parked import ParkedView, SqlParking
from adapters.sql.positions import SqlRelayPositions
from adapters.sql.progress_source import SqlProgressSource
from aggregates.contract import EventEnvelope
from aggregates.faults import is_data_fault
from engine.alert_rules import Finding, SetAlertRules
from engine.alerting import raise_alert, set_alert_rules
from engine.application import PerfLedger
from engine.bootstrap import Container, build
from engine.commands import SetGoal
from engine.ports import (
    AlertSource,
    BrokerLifeSource,
    Message,
    Parking,
    ProgressSource,
    Publisher,
    RelayPositions,
)
from projections.kpi import COUNTERS, kpis
from projections.store import EventProjection
from tests.fakes import (
    FakeAlertSource,
    FakeBrokerLife,
    FakeParking,
    FakeProgressSource,
    FakePublisher,
    FakeReadModels,
    FakeRelayPositions,
)
from tests.support import make_settings, stored_since, wait_until

ADMIN = "admin:alice"


def day(n: int) -> date:
    return date(2026, 10, n)


def calls(
    agent: str, team: str, on: date, handle: int, count: int = 3, hour: int = 9
) -> list[dict[str, Any]]:
    """Accepted call.completed events, one a minute from `hour` o'clock."""
    return [
        {
            "event_id": str(uuid.uuid4()),
            "type": "call.completed",
            "agent_id": agent,
            "team_id": team,
            "occurred_at": datetime(on.year, on.month, on.day, hour, n, tzinfo=UTC),
            "call_id": f"{agent}-{on}-{hour}-{n}",
            "talk_seconds": handle,
            "hold_seconds": 0,
            "acw_seconds": 0,
            "transferred": False,
            "resolved_first_contact": True,
            "schema_version": 1,
        }
        for n in range(count)
    ]


def goal_command(
    agent: str = "agent-1", team: str = "team-a", kpi: str = "aht_seconds", draft: bool = False
) -> SetGoal:
    return SetGoal(
        agent_id=agent,
        team_id=team,
        title="Handle time",
        description="",
        kpi=kpi,
        target=300,
        direction="at_most",
        period_start=day(1),
        period_end=date(2026, 12, 31),
        weight=1,
        draft=draft,
    )


# --- read-model worlds --------------------------------------------------------------------


class World(ABC):
    """The command side (an application) and the read models a source reads."""

    app: PerfLedger
    progress: ProgressSource
    alerts: AlertSource

    def __init__(self) -> None:
        self._position = 0

    def sync(self) -> None:
        """Projects the domain events stored since the last sync, as the projector would."""
        envelopes, self._position = stored_since(self.app, self._position)
        if envelopes:
            self.project(envelopes)

    def set_goal(self, command: SetGoal) -> str:
        goal_id = str(self.app.set_goal(command, ADMIN).id)
        self.sync()
        return goal_id

    @abstractmethod
    def project(self, events: Sequence[EventEnvelope]) -> None: ...

    @abstractmethod
    def accept(self, events: Sequence[dict[str, Any]]) -> None:
        """Telephony events as the ingestor accepts them: sums, change marks, counters."""


class FakeWorld(World):
    def __init__(self) -> None:
        super().__init__()
        self.app = PerfLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
        self.models = FakeReadModels()
        self.progress = FakeProgressSource(self.models)
        self.alerts = FakeAlertSource(self.models)

    def project(self, events: Sequence[EventEnvelope]) -> None:
        self.models.project(events)

    def accept(self, events: Sequence[dict[str, Any]]) -> None:
        self.models.accept(events)


class SqlWorld(World):
    def __init__(self, container: Container) -> None:
        super().__init__()
        self.container = container
        self.app = container.app
        self.progress = SqlProgressSource(container.db)
        self.alerts = SqlAlertSource(container.db)

    def project(self, events: Sequence[EventEnvelope]) -> None:
        with self.container.db.transaction() as cur:
            EventProjection(DocView(), ParkedView()).apply(cur, events)

    def accept(self, events: Sequence[dict[str, Any]]) -> None:
        with self.container.db.transaction() as cur:
            KpiView().apply_events(cur, events)
            cur.execute(
                "INSERT INTO ingest_counters (name, value) VALUES ('accepted', ?) "
                "ON CONFLICT (name) DO UPDATE SET value = ingest_counters.value + excluded.value",
                (len(events),),
            )


@pytest.fixture
def sql_world(tmp_path: Path, database_url: str) -> Iterator[World]:
    container = build(make_settings(tmp_path, database_url, None))
    try:
        yield SqlWorld(container)
    finally:
        container.close()


@pytest.fixture
def fake_world() -> World:
    return FakeWorld()


# --- ProgressSource -------------------------------------------------------------------------


class ProgressSourceContract:
    def test_an_agent_whose_kpis_moved_stays_listed_until_that_very_change_is_forgotten(
        self, world: World
    ) -> None:
        assert world.progress.changed_agents() == {}
        world.accept(calls("agent-1", "team-a", day(5), 300))
        changed = world.progress.changed_agents()
        assert list(changed) == ["agent-1"]
        world.progress.forget_change("agent-1", "2000-01-01T00:00:00+00:00")  # an older look
        assert list(world.progress.changed_agents()) == ["agent-1"]
        world.progress.forget_change("agent-1", changed["agent-1"])
        assert world.progress.changed_agents() == {}

    def test_marking_an_agent_again_keeps_the_first_mark(self, world: World) -> None:
        world.progress.mark_changed("agent-2")
        first = world.progress.changed_agents()
        world.progress.mark_changed("agent-2")
        assert world.progress.changed_agents() == first and list(first) == ["agent-2"]

    def test_the_goal_position_starts_at_zero_and_keeps_what_was_saved(self, world: World) -> None:
        assert world.progress.goal_position() == 0
        world.progress.save_goal_position(7)
        world.progress.save_goal_position(12)
        assert world.progress.goal_position() == 12

    def test_only_the_agents_active_kpi_measured_goals_are_measured(self, world: World) -> None:
        measured = world.set_goal(goal_command())
        world.set_goal(goal_command(kpi="manual"))
        world.set_goal(goal_command(draft=True))
        world.set_goal(goal_command(agent="agent-2"))
        cancelled = world.set_goal(goal_command())
        world.app.cancel_goal(uuid.UUID(cancelled), "not needed", ADMIN)
        world.sync()
        assert [doc["id"] for doc in world.progress.measured_goals("agent-1")] == [measured]
        assert world.progress.measured_goals("agent-3") == []

    def test_period_kpis_sum_the_days_of_the_period_and_say_where_the_data_ends(
        self, world: World
    ) -> None:
        world.accept(
            [
                *calls("agent-1", "team-a", day(4), 100),
                *calls("agent-1", "team-a", day(5), 200),
                *calls("agent-1", "team-a", day(6), 400, count=1, hour=16),
                *calls("agent-1", "team-a", day(7), 900),
            ]
        )
        values, latest = world.progress.period_kpis("agent-1", day(5), day(6))
        assert values["calls_handled"] == 4 and values["aht_seconds"] == 250
        assert latest == datetime(
            2026, 10, 6, 16, 15, tzinfo=UTC
        )  # the end of the last interval with data
        assert world.progress.period_kpis("agent-9", day(5), day(6)) == (
            kpis(dict.fromkeys(COUNTERS, 0)),
            None,
        )

    def test_progress_is_claimed_once_per_goal_and_interval(self, world: World) -> None:
        assert world.progress.claim("g1", "2026-10-05T09:00:00+00:00")
        assert not world.progress.claim("g1", "2026-10-05T09:00:00+00:00")
        assert world.progress.claim("g1", "2026-10-05T09:15:00+00:00")
        assert world.progress.claim("g2", "2026-10-05T09:00:00+00:00")


class TestFakeProgressSource(ProgressSourceContract):
    @pytest.fixture
    def world(self, fake_world: World) -> World:
        return fake_world


class TestSqlProgressSource(ProgressSourceContract):
    @pytest.fixture
    def world(self, sql_world: World) -> World:
        return sql_world


# --- AlertSource ----------------------------------------------------------------------------


class AlertSourceContract:
    def test_teams_with_day_data_since_a_date_are_listed_in_order(self, world: World) -> None:
        world.accept(
            [
                *calls("agent-1", "team-b", day(5), 300),
                *calls("agent-2", "team-a", day(5), 300),
                *calls("agent-3", "team-c", day(1), 300),
            ]
        )
        assert world.alerts.teams(day(3)) == ["team-a", "team-b"]
        assert world.alerts.teams(day(1)) == ["team-a", "team-b", "team-c"]

    def test_day_values_are_each_of_the_teams_agents_kpis_per_day(self, world: World) -> None:
        world.accept(
            [
                *calls("agent-1", "team-a", day(5), 300),
                *calls("agent-1", "team-a", day(6), 360),
                *calls("agent-2", "team-a", day(6), 200, count=2),
                *calls("agent-3", "team-b", day(6), 100),
                *calls("agent-1", "team-a", day(1), 999),
            ]
        )
        values = world.alerts.day_values("team-a", day(3))
        assert {agent: sorted(days) for agent, days in values.items()} == {
            "agent-1": [day(5), day(6)],
            "agent-2": [day(6)],
        }
        assert (
            values["agent-1"][day(6)]["aht_seconds"],
            values["agent-1"][day(6)]["calls_handled"],
        ) == (360, 3)
        assert values["agent-2"][day(6)]["calls_handled"] == 2

    def test_active_goals_are_the_teams_active_kpi_measured_goals(self, world: World) -> None:
        mine = world.set_goal(goal_command())
        world.set_goal(goal_command(kpi="manual"))
        world.set_goal(goal_command(team="team-b"))
        world.set_goal(goal_command(draft=True))
        assert [doc["id"] for doc in world.alerts.active_goals("team-a")] == [mine]

    def test_a_teams_rules_are_none_until_it_sets_them(self, world: World) -> None:
        assert world.alerts.rules("team-a") is None
        set_alert_rules(
            world.app,
            "team-a",
            SetAlertRules.model_validate({"rules": [{"kind": "goal_streak", "days": 2}]}),
            ADMIN,
        )
        world.sync()
        (rule,) = world.alerts.rules("team-a") or []
        assert (rule["kind"], rule["days"]) == ("goal_streak", 2)
        assert world.alerts.rules("team-b") is None

    def test_known_alerts_are_those_among_the_ids_already_raised(self, world: World) -> None:
        finding = Finding(
            key="k1",
            rule="goal_streak",
            team_id="team-a",
            agent_id="agent-1",
            kpi="aht_seconds",
            day=day(5),
            value=320.0,
            threshold=300.0,
            summary="slow",
        )
        assert raise_alert(world.app, finding)
        world.sync()
        raised = str(world.app.recorder.select_notifications(0, 1)[0].originator_id)
        other = str(uuid.uuid4())
        assert world.alerts.known_alerts([raised, other]) == {raised}
        assert world.alerts.known_alerts([]) == set()

    def test_the_fingerprint_moves_with_telephony_goals_and_rules_and_with_nothing_else(
        self, world: World
    ) -> None:
        marks = [world.alerts.fingerprint()]
        assert world.alerts.fingerprint() == marks[0]
        world.accept(calls("agent-1", "team-a", day(5), 300))
        marks.append(world.alerts.fingerprint())
        world.set_goal(goal_command())
        marks.append(world.alerts.fingerprint())
        set_alert_rules(world.app, "team-a", SetAlertRules.model_validate({"rules": []}), ADMIN)
        world.sync()
        marks.append(world.alerts.fingerprint())
        world.progress.claim("g1", "2026-10-05T09:00:00+00:00")  # not something the evaluator reads
        assert world.alerts.fingerprint() == marks[-1]
        assert len(set(marks)) == 4


class TestFakeAlertSource(AlertSourceContract):
    @pytest.fixture
    def world(self, fake_world: World) -> World:
        return fake_world


class TestSqlAlertSource(AlertSourceContract):
    @pytest.fixture
    def world(self, sql_world: World) -> World:
        return sql_world


# --- RelayPositions -------------------------------------------------------------------------


class RelayPositionsContract:
    def test_a_position_is_none_until_saved_then_the_last_one_saved(
        self, positions: RelayPositions
    ) -> None:
        assert positions.load() is None
        positions.save("life-1", 10)
        positions.save("life-2", 3)
        assert positions.load() == ("life-2", 3)


class TestFakeRelayPositions(RelayPositionsContract):
    @pytest.fixture
    def positions(self) -> RelayPositions:
        return FakeRelayPositions()


class TestSqlRelayPositions(RelayPositionsContract):
    @pytest.fixture
    def positions(self, sql_world: SqlWorld) -> RelayPositions:
        return SqlRelayPositions(sql_world.container.db)

    def test_relays_of_other_names_keep_their_own_positions(self, sql_world: SqlWorld) -> None:
        SqlRelayPositions(sql_world.container.db, "events").save("life-1", 5)
        assert SqlRelayPositions(sql_world.container.db, "other").load() is None


# --- Parking ---------------------------------------------------------------------------------


class ParkingContract:
    @abstractmethod
    def parked(self) -> dict[tuple[str, int], tuple[str, str]]:
        """What is parked: (aggregate id, version) -> (source, reason)."""

    def test_each_version_is_parked_once_and_parking_it_again_keeps_the_latest_reason(
        self, parking: Parking
    ) -> None:
        parking.park("g1", 2, "store:5", "KeyError: 'before'", b"{}")
        parking.park("g1", 3, "store:6", "MessageSizeTooLargeError: big", None)
        parking.park("g1", 2, "store:9", "TypeError: again", b"{}")
        assert self.parked() == {
            ("g1", 2): ("store:9", "TypeError: again"),
            ("g1", 3): ("store:6", "MessageSizeTooLargeError: big"),
        }


class TestFakeParking(ParkingContract):
    @pytest.fixture
    def parking(self) -> Parking:
        self.fake = FakeParking()
        return self.fake

    def parked(self) -> dict[tuple[str, int], tuple[str, str]]:
        return {key: entry[:2] for key, entry in self.fake.parked.items()}


class TestSqlParking(ParkingContract):
    @pytest.fixture
    def parking(self, sql_world: SqlWorld) -> Parking:
        self.db = sql_world.container.db
        return SqlParking(self.db, "relay")

    def parked(self) -> dict[tuple[str, int], tuple[str, str]]:
        rows = self.db.query(
            "SELECT aggregate_id, version, source, reason FROM parked_events "
            "WHERE consumer = 'relay'"
        )
        return {(r["aggregate_id"], int(r["version"])): (r["source"], r["reason"]) for r in rows}


# --- Publisher and BrokerLifeSource ---------------------------------------------------------


class Wire(ABC):
    """A publisher, a broker life, and a way to read back what a topic holds."""

    topic: str
    publisher: Publisher

    @abstractmethod
    def life(self) -> BrokerLifeSource: ...

    @abstractmethod
    def read(self, count: int) -> list[Message]: ...


class FakeWire(Wire):
    def __init__(self) -> None:
        self.topic = "events"
        self.fake = FakePublisher()
        self.publisher = self.fake
        self.broker = FakeBrokerLife()

    def life(self) -> BrokerLifeSource:
        return self.broker

    def read(self, count: int) -> list[Message]:
        return self.fake.topics.get(self.topic, [])[:count]


class KafkaWire(Wire):
    def __init__(self, tmp_path: Path, broker: EmbeddedBroker) -> None:
        self.settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'w.db'}", broker.bootstrap)
        self.bootstrap = broker.bootstrap
        ensure_topics(broker.bootstrap, self.settings)
        self.topic = topics_of(self.settings).events
        self.publisher = KafkaPublisher(broker.bootstrap, self.settings)
        self.lives: list[BrokerLife] = []

    def life(self) -> BrokerLifeSource:
        self.lives.append(BrokerLife(self.settings, self.bootstrap))
        return self.lives[-1]

    def read(self, count: int) -> list[Message]:
        consumer = KafkaConsumer(
            **security_options(self.settings),
            bootstrap_servers=self.bootstrap,
            group_id=None,
            enable_auto_commit=False,
        )
        partitions = [
            TopicPartition(self.topic, p) for p in consumer.partitions_for_topic(self.topic) or ()
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        found: list[Any] = []
        try:

            def enough() -> bool:
                found.extend(r for rs in consumer.poll(200).values() for r in rs)
                return len(found) >= count

            wait_until(enough, timeout=30)
        finally:
            consumer.close()
        found.sort(key=lambda r: (r.partition, r.offset))
        return [(r.key, r.value, [(k, bytes(v)) for k, v in r.headers]) for r in found]

    def close(self) -> None:
        self.publisher.close()
        for life in self.lives:
            life.close()


class PublisherContract:
    def test_what_is_published_is_there_in_order_per_key_with_its_headers(self, wire: Wire) -> None:
        messages: list[Message] = [(b"a", b"a1", [("reason", b"r")]), (b"b", b"b1"), (b"a", b"a2")]
        wire.publisher.publish(wire.topic, messages)
        found = wire.read(3)
        assert [m[1] for m in found if m[0] == b"a"] == [b"a1", b"a2"]
        assert [m[1] for m in found if m[0] == b"b"] == [b"b1"]
        assert [dict(m[2]) for m in found if len(m) > 2 and m[1] == b"a1"] == [{"reason": b"r"}]

    def test_a_message_over_the_size_limit_is_refused_as_a_data_fault(self, wire: Wire) -> None:
        with pytest.raises(Exception) as refused:
            wire.publisher.publish(wire.topic, [(b"k", b"x" * 1_100_000)])
        assert is_data_fault(refused.value)
        wire.publisher.publish(wire.topic, [(b"k", b"fine")])  # and the publisher goes on
        assert [m[1] for m in wire.read(1)] == [b"fine"]


class BrokerLifeContract:
    def test_a_broker_keeps_one_life_that_every_reader_sees(self, wire: Wire) -> None:
        first, second = wire.life(), wire.life()
        life = first.current()
        assert life and first.current() == life and second.current() == life


class TestFakeWire(PublisherContract, BrokerLifeContract):
    @pytest.fixture
    def wire(self) -> Wire:
        return FakeWire()


class TestKafkaWire(PublisherContract, BrokerLifeContract):
    @pytest.fixture
    def wire(self, tmp_path: Path, broker: EmbeddedBroker) -> Iterator[Wire]:
        wire = KafkaWire(tmp_path, broker)
        try:
            yield wire
        finally:
            wire.close()


def test_the_fake_read_models_fold_telephony_as_the_real_ones_sum_it(sql_world: SqlWorld) -> None:
    """The fake sums with the projections' own fold; it and the SQL agree on the same stream."""
    fake = FakeWorld()
    stream = [
        *calls("agent-1", "team-a", day(5), 300),
        *calls("agent-2", "team-a", day(5) + timedelta(days=1), 100),
    ]
    for world in (fake, sql_world):
        world.accept(stream)
    assert fake.alerts.day_values("team-a", day(1)) == sql_world.alerts.day_values("team-a", day(1))
