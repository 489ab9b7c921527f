"""The goal-progress process manager: KPI changes become auditable Goal progress events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from adapters.kafka.broker import EmbeddedBroker
from adapters.sql.ingest_counts import counter_totals as ingest_counters
from adapters.sql.progress_source import SqlProgressSource
from engine.progress import ACTOR, GoalProgress
from tests.support import Pipeline, make_settings, token, wait_until

ADMIN = token("admin", "alice")
INGEST = token("ingest", "pbx")
GOAL = {
    "agent_id": "agent-5",
    "team_id": "team-x",
    "title": "Delight callers",
    "kpi": "csat_avg",
    "target": 4.5,
    "direction": "at_least",
    "period_start": "2026-10-01",
    "period_end": "2026-12-31",
    "weight": 1,
}


def call(n: int, day: int) -> dict[str, Any]:
    return {
        "event_id": f"00000000-0000-4000-8000-{n:012d}",
        "type": "call.completed",
        "agent_id": "agent-5",
        "team_id": "team-x",
        "occurred_at": f"2026-10-{day:02d}T10:00:00Z",
        "call_id": f"c{n}",
        "talk_seconds": 100,
        "hold_seconds": 0,
        "acw_seconds": 10,
        "transferred": False,
        "resolved_first_contact": True,
    }


def survey(n: int, csat: int) -> dict[str, Any]:
    return {
        "event_id": f"00000000-0000-4000-9000-{n:012d}",
        "type": "survey.completed",
        "agent_id": "agent-5",
        "team_id": "team-x",
        "occurred_at": "2026-10-20T10:00:00Z",
        "call_id": f"c{n}",
        "csat": csat,
    }


@pytest.fixture
def pipeline(tmp_path: Path, broker: EmbeddedBroker) -> Iterator[Pipeline]:
    running = Pipeline(make_settings(tmp_path, f"sqlite:///{tmp_path / 'g.db'}", broker.bootstrap))
    running.start("relay", "projector", "ingestor")
    try:
        yield running
    finally:
        running.close()


def send(pipeline: Pipeline, client: Any, events: list[dict[str, Any]]) -> None:
    before = ingest_counters(pipeline.container.db).get("accepted", 0)
    assert (
        client.post("/v1/telephony/events", content=json.dumps(events), headers=INGEST).status_code
        == 202
    )
    wait_until(
        lambda: ingest_counters(pipeline.container.db).get("accepted", 0) == before + len(events),
        timeout=30,
    )


def test_kpi_changes_become_progress_at_most_once_per_interval(pipeline: Pipeline) -> None:
    client = pipeline.client()
    goal_id = client.post("/v1/goals", json=GOAL, headers=ADMIN).json()["id"]
    wait_until(
        lambda: client.get(f"/v1/goals/{goal_id}", headers=ADMIN).status_code == 200, timeout=15
    )
    now = [datetime(2026, 11, 27, 9, 0, tzinfo=UTC)]
    manager = GoalProgress(
        pipeline.container.app, SqlProgressSource(pipeline.container.db), lambda: now[0]
    )
    send(pipeline, client, [call(1, 5), call(2, 6), survey(1, 5), survey(2, 4)])
    assert manager.step() == 1
    goal: Any = pipeline.container.app.repository.get(UUID(goal_id))
    assert goal.latest_value == 4.5
    assert (
        goal.latest_progress["source"] == "kpi:csat_avg" and goal.latest_progress["actor"] == ACTOR
    )
    assert goal.latest_progress["as_of"] == datetime(2026, 10, 6, 10, 15, tzinfo=UTC)
    assert manager.step() == 0  # nothing changed since
    send(pipeline, client, [call(3, 7), survey(3, 1)])
    assert manager.step() == 0  # changed, but this interval already has its progress event
    now[0] = datetime(2026, 11, 27, 9, 15, tzinfo=UTC)
    assert manager.step() == 1  # the agent stayed marked and is taken in the next interval
    goal = pipeline.container.app.repository.get(goal.id)
    assert goal.latest_value == pytest.approx(10 / 3)
    wait_until(
        lambda: len(client.get(f"/v1/audit/{goal_id}/events", headers=ADMIN).json()) == 3,
        timeout=15,
    )
    trail = [
        e
        for e in client.get(f"/v1/audit/{goal_id}/events", headers=ADMIN).json()
        if e["type"] == "Goal.ProgressRecorded"
    ]
    assert [(e["data"]["before"], e["data"]["after"], e["actor"]) for e in trail] == [
        (None, 4.5, ACTOR),
        (4.5, pytest.approx(10 / 3), ACTOR),
    ]


def test_manual_goals_and_agents_without_data_are_left_alone(pipeline: Pipeline) -> None:
    client = pipeline.client()
    client.post("/v1/goals", json={**GOAL, "kpi": "manual"}, headers=ADMIN)
    manager = GoalProgress(pipeline.container.app, SqlProgressSource(pipeline.container.db))
    send(pipeline, client, [call(9, 5)])
    assert manager.step() == 0
