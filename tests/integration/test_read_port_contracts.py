"""One contract for the Documents port (engine/ports.py), run against its fake (tests/fakes.py)
and the SQL read models (adapters/sql/read_models.py on SQLite and PostgreSQL)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from adapters.sql.documents_view import DocView
from adapters.sql.parked import ParkedView
from adapters.sql.read_models import SqlDocuments
from aggregates.contract import GENESIS, EventEnvelope, envelope_of
from engine.application import PerfLedger
from engine.bootstrap import Container, build
from engine.commands import SetGoal
from engine.ports import Documents
from projections.goals import roll_up
from projections.store import EventProjection
from tests.fakes import FakeDocuments, FakeReadModels
from tests.support import make_settings

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
    """An application and the Documents port over what it stored, projected."""

    app: PerfLedger
    docs: Documents

    def __init__(self) -> None:
        self._position = 0

    def sync(self) -> None:
        stored = self.app.recorder.select_notifications(
            start=self._position, limit=10_000, inclusive_of_start=False
        )
        if stored:
            self.project([envelope_of(n.id, n.topic, self.app.event_as_dict(n)) for n in stored])
            self._position = stored[-1].id

    def set_goal(self, command: SetGoal) -> str:
        goal_id = str(self.app.set_goal(command, ACTOR).id)
        self.sync()
        return goal_id

    @abstractmethod
    def project(self, events: Sequence[EventEnvelope]) -> None: ...


class FakeStore(Store):
    def __init__(self) -> None:
        super().__init__()
        self.app = PerfLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
        self.fake = FakeDocuments(FakeReadModels())
        self.docs = self.fake

    def project(self, events: Sequence[EventEnvelope]) -> None:
        self.fake.record(events)


class SqlStore(Store):
    def __init__(self, container: Container) -> None:
        super().__init__()
        self.container = container
        self.app = container.app
        self.docs = SqlDocuments(container.db)

    def project(self, events: Sequence[EventEnvelope]) -> None:
        with self.container.db.transaction() as cur:
            EventProjection(DocView(), ParkedView()).apply(cur, events)


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
