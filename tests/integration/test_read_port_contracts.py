"""One contract per read port of the application services (engine/ports.py), run against its
fake (tests/fakes.py) and the SQL read models (adapters/sql/read_models.py on SQLite and
PostgreSQL)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from adapters.sql.documents_view import DocView
from adapters.sql.ingest_counts import add_deliveries, add_totals
from adapters.sql.kpi_view import KpiView
from adapters.sql.parked import ParkedView
from adapters.sql.positions import SqlRelayPositions, save_offsets
from adapters.sql.read_models import (
    SqlDocuments,
    SqlExplanations,
    SqlKpiFigures,
    SqlOperations,
    SqlSealCheck,
    SqlTelephonyRecords,
)
from adapters.sql.sealer import Sealer
from aggregates.contract import GENESIS, EventEnvelope
from aggregates.errors import NotFound
from engine.application import PerfLedger
from engine.bootstrap import Container, build
from engine.commands import SetGoal, StartReview
from engine.integrity import seal_key
from engine.ports import (
    Documents,
    Explanations,
    KpiFigures,
    OperationsRecords,
    SealCheck,
    TelephonyRecords,
)
from projections.goals import roll_up
from projections.store import EventProjection
from tests.fakes import (
    FakeDocuments,
    FakeExplanations,
    FakeKpiFigures,
    FakeOperations,
    FakeReadModels,
    FakeRelayPositions,
    FakeSealCheck,
    FakeTelephonyRecords,
)
from tests.integration.test_port_contracts import calls
from tests.support import make_settings, stored_since

ACTOR = "admin:alice"


def goal(agent: str, team: str, **more: Any) -> SetGoal:
    return SetGoal(
        agent_id=agent,
        team_id=team,
        title="AHT",
        kpi="aht_seconds",
        target=300.0,
        direction="at_most",
        period_start=date(2026, 7, 1),
        period_end=date(2026, 10, 1),
        **more,
    )


class Store(ABC):
    """An application and the read ports over what it stored, projected, and over what the
    workers recorded (telephony accepted, deliveries, offsets, parked events, counters)."""

    app: PerfLedger
    docs: Documents
    figures: KpiFigures
    records: TelephonyRecords
    operations: OperationsRecords
    explanations: Explanations
    seals: SealCheck

    def __init__(self) -> None:
        self._position = 0

    def sync(self) -> None:
        envelopes, self._position = stored_since(self.app, self._position)
        if envelopes:
            self.project(envelopes)

    def set_goal(self, command: SetGoal) -> str:
        goal_id = str(self.app.set_goal(command, ACTOR).id)
        self.sync()
        return goal_id

    @abstractmethod
    def project(self, events: Sequence[EventEnvelope]) -> None: ...

    @abstractmethod
    def accept(self, events: Sequence[dict[str, Any]]) -> None:
        """Telephony events as the ingestor accepts them into the sums."""

    @abstractmethod
    def deliver(self, day: date, source: str, counts: list[int]) -> None:
        """Counts received, accepted, duplicates, dead-lettered, as the ingestor tallies them."""

    @abstractmethod
    def save_offsets(self, consumer: str, offsets: dict[tuple[str, int], tuple[int, int]]) -> None:
        """Next offset and highwater per (topic, partition), as a consumer loop saves them."""

    @abstractmethod
    def relay(self, position: int) -> None: ...

    @abstractmethod
    def park(self, consumer: str, aggregate_id: str, version: int, reason: str) -> None: ...

    @abstractmethod
    def count(self, changes: dict[str, int]) -> None: ...

    @abstractmethod
    def seal_all(self) -> None:
        """Seals every stored event, as the sealer does."""

    @abstractmethod
    def tamper(self, position: int, old: bytes, new: bytes) -> None:
        """Rewrites the stored bytes of the event at a notification position."""


class FakeStore(Store):
    def __init__(self) -> None:
        super().__init__()
        self.app = PerfLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
        self.models = FakeReadModels()
        self.fake = FakeDocuments(self.models)
        self.docs = self.fake
        self.figures = FakeKpiFigures(self.models)
        self.telephony = FakeTelephonyRecords()
        self.records = self.telephony
        self.relay_positions = FakeRelayPositions()
        self.fake_operations = FakeOperations(self.app, self.relay_positions)
        self.operations = self.fake_operations
        self.explanations = FakeExplanations(self.app)
        self.fake_seals = FakeSealCheck(self.app)
        self.seals = self.fake_seals

    def project(self, events: Sequence[EventEnvelope]) -> None:
        self.fake.record(events)

    def accept(self, events: Sequence[dict[str, Any]]) -> None:
        self.models.accept(events)

    def deliver(self, day: date, source: str, counts: list[int]) -> None:
        self.telephony.deliver(day, source, counts)

    def save_offsets(self, consumer: str, offsets: dict[tuple[str, int], tuple[int, int]]) -> None:
        for (topic, partition), positions in offsets.items():
            self.fake_operations.offsets[(consumer, topic, partition)] = positions

    def relay(self, position: int) -> None:
        self.relay_positions.save("life-1", position)

    def park(self, consumer: str, aggregate_id: str, version: int, reason: str) -> None:
        self.fake_operations.park(consumer, aggregate_id, version, "projector", reason)

    def count(self, changes: dict[str, int]) -> None:
        counters = self.fake_operations.counters
        for name, amount in changes.items():
            counters[name] = counters.get(name, 0) + amount

    def seal_all(self) -> None:
        self.fake_seals.seal()

    def tamper(self, position: int, old: bytes, new: bytes) -> None:
        self.fake_seals.tamper(position, old, new)


class SqlStore(Store):
    def __init__(self, container: Container) -> None:
        super().__init__()
        self.container = container
        self.app = container.app
        self.docs = SqlDocuments(container.db)
        self.figures = SqlKpiFigures(container.db)
        self.records = SqlTelephonyRecords(container.db)
        self.operations = SqlOperations(container.app, container.db)
        self.explanations = SqlExplanations(container.app, container.db)
        self.seals = SqlSealCheck(
            container.app, container.db, container.settings, container.published_heads
        )

    def project(self, events: Sequence[EventEnvelope]) -> None:
        with self.container.db.transaction() as cur:
            EventProjection(DocView(), ParkedView()).apply(cur, events)

    def accept(self, events: Sequence[dict[str, Any]]) -> None:
        with self.container.db.transaction() as cur:
            KpiView().apply_events(cur, events)

    def deliver(self, day: date, source: str, counts: list[int]) -> None:
        with self.container.db.transaction() as cur:
            add_deliveries(cur, {(day.isoformat(), source): counts})

    def save_offsets(self, consumer: str, offsets: dict[tuple[str, int], tuple[int, int]]) -> None:
        with self.container.db.transaction() as cur:
            save_offsets(cur, consumer, "life-1", offsets)

    def relay(self, position: int) -> None:
        SqlRelayPositions(self.container.db).save("life-1", position)

    def park(self, consumer: str, aggregate_id: str, version: int, reason: str) -> None:
        with self.container.db.transaction() as cur:
            ParkedView().park(cur, consumer, aggregate_id, version, "projector", reason, None)

    def count(self, changes: dict[str, int]) -> None:
        with self.container.db.transaction() as cur:
            add_totals(cur, changes)

    def seal_all(self) -> None:
        key = seal_key(self.container.settings.signing_secret())
        Sealer(self.app, self.container.db, key, settle=0).seal_all()

    def tamper(self, position: int, old: bytes, new: bytes) -> None:
        db, table = self.container.db, self.app.recorder.events_table_name  # type: ignore[attr-defined]
        at = "notification_id" if db.is_postgres else "rowid"
        state = bytes(
            db.query(f"SELECT state FROM {table} WHERE {at} = ?", (position,))[0]["state"]
        )
        with db.transaction() as cur:
            cur.execute(
                f"UPDATE {table} SET state = ? WHERE {at} = ?", (state.replace(old, new), position)
            )


class DocumentsContract:
    def test_a_document_is_read_by_kind_and_id_and_found_by_id_alone(self, store: Store) -> None:
        goal_id = store.set_goal(goal("agent-1", "team-a"))
        doc = store.docs.get("Goal", goal_id)
        assert doc is not None and doc["agent_id"] == "agent-1" and doc["version"] == 1
        assert store.docs.find(goal_id) == ("Goal", doc)
        assert store.docs.get("Review", goal_id) is None
        assert store.docs.find("no-such-id") is None

    def test_a_page_is_filtered_scoped_to_teams_ordered_by_id_and_continues_after_the_cursor(
        self,
        store: Store,
    ) -> None:
        mine = sorted(store.set_goal(goal(f"agent-{n}", "team-a")) for n in range(3))
        other = store.set_goal(goal("agent-9", "team-b"))
        everyone = [
            d["id"]
            for d in store.docs.page(
                "Goal", filters={"team_id": None}, teams=None, after=None, limit=10
            )
        ]
        assert everyone == sorted([*mine, other])
        scoped = store.docs.page("Goal", filters={}, teams=("team-a",), after=None, limit=2)
        assert [d["id"] for d in scoped] == mine[:2]
        rest = store.docs.page("Goal", filters={}, teams=("team-a",), after=mine[1], limit=2)
        assert [d["id"] for d in rest] == mine[2:]
        assert (
            store.docs.page(
                "Goal", filters={"agent_id": "agent-9"}, teams=None, after=None, limit=10
            )[0]["id"]
            == other
        )
        assert store.docs.page("Goal", filters={}, teams=(), after=None, limit=10) == []

    def test_a_history_is_every_event_oldest_first_chained_by_hash(self, store: Store) -> None:
        goal_id = store.set_goal(goal("agent-1", "team-a"))
        store.app.revise_target(UUID(goal_id), 280.0, "baseline", ACTOR)
        store.sync()
        rows = store.docs.event_trail(goal_id)
        assert [r["sequence"] for r in rows] == [1, 2] and rows[1]["type"] == "Goal.TargetRevised"
        assert rows[0]["prev_hash"] == GENESIS and rows[1]["prev_hash"] == rows[0]["hash"]
        assert rows[1]["actor"] == ACTOR and rows[1]["data"]["reason"] == "baseline"
        assert store.docs.event_trail("no-such-id") == []

    def test_teams_with_goals_are_listed_once_in_order(self, store: Store) -> None:
        for agent, team in (("agent-1", "team-b"), ("agent-2", "team-a"), ("agent-3", "team-b")):
            store.set_goal(goal(agent, team))
        assert store.docs.team_ids() == ["team-a", "team-b"]

    def test_a_rollup_is_the_projection_s_over_the_team_s_goals(self, store: Store) -> None:
        for agent in ("agent-1", "agent-2"):
            store.set_goal(goal(agent, "team-a", weight=2.0))
        store.set_goal(goal("agent-3", "team-b"))
        goals = store.docs.page(
            "Goal", filters={"team_id": "team-a"}, teams=None, after=None, limit=10
        )
        expected = roll_up(goals, None, None)
        assert store.docs.goal_rollup("team-a", None, None, None) == expected
        assert store.docs.goal_rollup("team-a", "no-template", None, None) == roll_up(
            [], None, None
        )


def on(day: int, hour: int = 0) -> str:
    return f"2026-10-{day:02d}T{hour:02d}:00:00+00:00"


class KpiFiguresContract:
    """Two agents of team-a: 300 s calls on the 5th, 100 s calls on the 6th (a Monday week)."""

    @pytest.fixture
    def fed(self, store: Store) -> Store:
        store.accept(calls("agent-1", "team-a", date(2026, 10, 5), 300))
        store.accept(calls("agent-2", "team-a", date(2026, 10, 6), 100))
        return store

    def test_rows_per_stored_bucket_are_bounded_ordered_and_continue_after_the_cursor(
        self, fed: Store
    ) -> None:
        figures = fed.figures
        days = figures.rows("team", "team-a", "day", None, None, None, 10, None)
        assert [(r["start"], r["aht_seconds"]) for r in days] == [(on(5), 300), (on(6), 100)]
        assert figures.rows("team", "team-a", "day", None, None, on(5), 10, None) == days[1:]
        assert figures.rows("team", "team-a", "day", on(6), on(7), None, 10, None) == days[1:]
        assert figures.rows("team", "team-a", "day", None, None, None, 1, None) == days[:1]
        mine = figures.rows("agent", "agent-1", "interval", None, None, None, 10, None)
        assert [r["start"] for r in mine] == [on(5, 9)] and mine[0]["aht_seconds"] == 300
        assert figures.rows("agent", "agent-9", "day", None, None, None, 10, None) == []

    def test_a_total_and_a_week_are_ratios_of_the_summed_days(self, fed: Store) -> None:
        figures = fed.figures
        total = figures.rows("team", "team-a", "total", None, None, None, 10, None)
        assert len(total) == 1 and total[0]["aht_seconds"] == 200
        assert figures.rows("team", "team-a", "total", None, None, on(5), 10, None) == []
        week = figures.rows("team", "team-a", "week", None, None, None, 10, None)
        assert [(r["start"], r["aht_seconds"]) for r in week] == [(on(5), 200)]
        month = figures.rows("team", "team-a", "month", None, None, None, 10, None)
        assert [(r["start"], r["aht_seconds"]) for r in month] == [(on(1), 200)]
        assert month[0] == {**total[0], "start": on(1)}

    def test_agent_totals_cover_the_team_s_agents_with_data_in_the_range(self, fed: Store) -> None:
        everyone = sorted(
            fed.figures.agent_totals("team-a", None, None, None), key=lambda a: a["agent_id"]
        )
        assert [(a["agent_id"], a["aht_seconds"]) for a in everyone] == [
            ("agent-1", 300),
            ("agent-2", 100),
        ]
        fifth = fed.figures.agent_totals("team-a", on(5), on(6), None)
        assert fifth == [everyone[0]]
        assert fed.figures.agent_totals("team-b", None, None, None) == []

    def test_nothing_was_known_before_anything_was_accepted(self, store: Store) -> None:
        before = "2000-01-01T00:00:00+00:00"
        store.accept(calls("agent-1", "team-a", date(2026, 10, 5), 300))
        assert store.figures.rows("team", "team-a", "day", None, None, None, 10, before) == []
        assert store.figures.agent_totals("team-a", None, None, before) == []

    def test_an_agent_s_team_and_a_team_s_existence_come_from_data_or_records(
        self, fed: Store
    ) -> None:
        assert fed.figures.team_of_agent("agent-1") == "team-a"
        assert fed.figures.team_of_agent("agent-9") is None
        assert fed.figures.team_exists("team-a") and not fed.figures.team_exists("team-b")
        fed.set_goal(goal("agent-7", "team-b"))
        assert fed.figures.team_exists("team-b")


class TelephonyRecordsContract:
    def test_deliveries_are_summed_per_source_and_in_total_for_one_day(self, store: Store) -> None:
        store.deliver(date(2026, 10, 5), "http", [3, 2, 1, 0])
        store.deliver(date(2026, 10, 5), "kafka:telephony", [1, 0, 0, 1])
        store.deliver(date(2026, 10, 5), "http", [1, 1, 0, 0])
        store.deliver(date(2026, 10, 6), "http", [9, 9, 0, 0])
        assert store.records.deliveries(date(2026, 10, 5)) == {
            "day": "2026-10-05",
            "sources": [
                {
                    "source": "http",
                    "received": 4,
                    "accepted": 3,
                    "duplicates": 1,
                    "dead_lettered": 0,
                },
                {
                    "source": "kafka:telephony",
                    "received": 1,
                    "accepted": 0,
                    "duplicates": 0,
                    "dead_lettered": 1,
                },
            ],
            "total": {"received": 5, "accepted": 3, "duplicates": 1, "dead_lettered": 1},
        }

    def test_a_quiet_day_an_unknown_event_and_no_moved_links_answer_empty(
        self, store: Store
    ) -> None:
        zeros = {"received": 0, "accepted": 0, "duplicates": 0, "dead_lettered": 0}
        assert store.records.deliveries(date(2026, 10, 7)) == {
            "day": "2026-10-07",
            "sources": [],
            "total": zeros,
        }
        assert store.records.corrections("no-such-event") is None
        assert store.records.mismatches() == []


class OperationsRecordsContract:
    def test_the_relay_lag_is_read_from_the_store_and_the_relay_s_position(
        self, store: Store
    ) -> None:
        assert (store.operations.event_store_position(), store.operations.relayed_to()) == (0, 0)
        store.set_goal(goal("agent-1", "team-a"))
        store.set_goal(goal("agent-2", "team-a"))
        store.relay(1)
        assert store.operations.event_store_position() == 2
        assert store.operations.relayed_to() == 1

    def test_consumer_lag_sums_each_partition_s_gap_never_below_zero(self, store: Store) -> None:
        store.save_offsets("projector", {("events", 0): (5, 9), ("events", 1): (7, 7)})
        store.save_offsets("ingestor", {("telephony", 0): (3, 2)})
        assert store.operations.consumer_lag() == {"projector": 4, "ingestor": 0}
        assert [
            (p["consumer"], p["partition"], p["lag"]) for p in store.operations.partition_lags()
        ] == [("ingestor", 0, 0), ("projector", 0, 4), ("projector", 1, 0)]
        assert store.operations.partition_lags()[1] == {
            "consumer": "projector",
            "topic": "events",
            "partition": 0,
            "next_offset": 5,
            "highwater": 9,
            "lag": 4,
        }

    def test_parked_events_are_counted_per_consumer_and_listed_oldest_first(
        self, store: Store
    ) -> None:
        store.park("projector", "agg-1", 2, "bad payload")
        store.park("projector", "agg-2", 1, "unknown type")
        store.park("ingestor", "agg-3", 1, "too large")
        assert store.operations.parked_counts() == {"ingestor": 1, "projector": 2}
        listed = store.operations.parked_list("projector", 10)
        assert [(p["aggregate_id"], p["version"], p["reason"]) for p in listed] == [
            ("agg-1", 2, "bad payload"),
            ("agg-2", 1, "unknown type"),
        ]
        assert len(store.operations.parked_list(None, 10)) == 3
        assert len(store.operations.parked_list(None, 1)) == 1

    def test_counters_add_up_and_a_fresh_store_has_no_faults_or_inbox(self, store: Store) -> None:
        assert store.operations.stored_health() == []
        assert store.operations.inbox_depth() == 0
        store.count({"accepted": 3, "received": 4})
        store.count({"accepted": 1})
        totals = store.operations.counter_totals()
        assert (totals["accepted"], totals["received"]) == (4, 4)


MOMENT = datetime(2026, 7, 2, tzinfo=UTC)


def manual_goal(agent: str, team: str) -> SetGoal:
    """A goal measured by hand, not from KPIs."""
    return goal(agent, team).model_copy(update={"kpi": "manual", "direction": "at_least"})


class ExplanationsContract:
    def test_manual_progress_is_explained_by_its_recorded_event(self, store: Store) -> None:
        goal_id = store.set_goal(manual_goal("agent-1", "team-a"))
        store.app.record_progress(goal_id, 280.0, MOMENT, "manual", ACTOR, note="coached")
        answer = store.explanations.progress(UUID(goal_id), 1)
        assert (answer["kind"], answer["value"], answer["version"]) == ("manual", 280.0, 2)
        assert (answer["agent_id"], answer["note"], answer["actor"]) == (
            "agent-1",
            "coached",
            ACTOR,
        )
        assert answer["buckets"] == [] and answer["telephony_event_ids"] == []
        with pytest.raises(NotFound):
            store.explanations.progress(UUID(goal_id), 2)
        with pytest.raises(NotFound):
            store.explanations.progress(UUID(int=7), 1)

    def test_a_review_is_explained_with_its_goals_latest_progress(self, store: Store) -> None:
        goal_id = store.set_goal(manual_goal("agent-1", "team-a"))
        store.app.record_progress(goal_id, 280.0, MOMENT, "manual", ACTOR)
        review = store.app.start_review(
            StartReview(
                agent_id="agent-1",
                team_id="team-a",
                period_start=date(2026, 7, 1),
                period_end=date(2026, 10, 1),
                goal_ids=[goal_id],
                criteria=["quality"],
            ),
            ACTOR,
        )
        answer = store.explanations.review(review.id)
        assert (answer["review_id"], answer["agent_id"]) == (str(review.id), "agent-1")
        assert [g["goal_id"] for g in answer["goals"]] == [goal_id]
        assert answer["goals"][0]["latest_progress"]["value"] == 280.0
        with pytest.raises(NotFound):
            store.explanations.review(UUID(int=7))


class SealCheckContract:
    def test_a_sealed_store_verifies_and_later_events_are_only_unsealed(self, store: Store) -> None:
        for agent in ("agent-1", "agent-2"):
            store.set_goal(goal(agent, "team-a"))
        store.seal_all()
        report = store.seals.verify()
        assert (report["ok"], report["first_problem"], report["events_checked"]) == (True, None, 2)
        store.set_goal(goal("agent-3", "team-a"))
        report = store.seals.verify()
        assert report["ok"] and report["events_unsealed"] == 1

    def test_altered_bytes_are_the_first_problem_reported(self, store: Store) -> None:
        for agent in ("agent-1", "agent-2", "agent-3"):
            store.set_goal(goal(agent, "team-a"))
        store.seal_all()
        store.tamper(2, b"agent-2", b"agent-9")
        report = store.seals.verify()
        assert report["ok"] is False
        first = report["first_problem"]
        assert (first["store"], first["kind"]) == ("events", "bytes")
        assert first["where"].endswith("(notification 2)")
        assert report["problems"] == [first]


@pytest.fixture
def sql_store(tmp_path: Path, database_url: str) -> Iterator[Store]:
    container = build(make_settings(tmp_path, database_url, None))
    try:
        yield SqlStore(container)
    finally:
        container.close()


class TestFakeDocuments(DocumentsContract):
    @pytest.fixture
    def store(self) -> Store:
        return FakeStore()


class TestSqlDocuments(DocumentsContract):
    @pytest.fixture
    def store(self, sql_store: Store) -> Store:
        return sql_store


class TestFakeKpiFigures(KpiFiguresContract):
    @pytest.fixture
    def store(self) -> Store:
        return FakeStore()


class TestSqlKpiFigures(KpiFiguresContract):
    @pytest.fixture
    def store(self, sql_store: Store) -> Store:
        return sql_store


class TestFakeTelephonyRecords(TelephonyRecordsContract):
    @pytest.fixture
    def store(self) -> Store:
        return FakeStore()


class TestSqlTelephonyRecords(TelephonyRecordsContract):
    @pytest.fixture
    def store(self, sql_store: Store) -> Store:
        return sql_store


class TestFakeOperationsRecords(OperationsRecordsContract):
    @pytest.fixture
    def store(self) -> Store:
        return FakeStore()


class TestSqlOperationsRecords(OperationsRecordsContract):
    @pytest.fixture
    def store(self, sql_store: Store) -> Store:
        return sql_store


class TestFakeExplanations(ExplanationsContract):
    @pytest.fixture
    def store(self) -> Store:
        return FakeStore()


class TestSqlExplanations(ExplanationsContract):
    @pytest.fixture
    def store(self, sql_store: Store) -> Store:
        return sql_store


class TestFakeSealCheck(SealCheckContract):
    @pytest.fixture
    def store(self) -> Store:
        return FakeStore()


class TestSqlSealCheck(SealCheckContract):
    @pytest.fixture
    def store(self, sql_store: Store) -> Store:
        return sql_store
