"""A command side with in-process read models and goal-progress manager, driven over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from adapters.sql.progress_source import SqlProgressSource
from aggregates.goal import Goal
from engine.bootstrap import build
from engine.progress import GoalProgress
from tests.integration.live import LiveModels
from tests.rosters import TEAMS_T
from tests.support import make_settings, seed_roster, token

ADMIN = token("admin", "alice")
MANAGER = token("manager", "bob")  # of t1 (tests.rosters.TEAMS_T)
GOAL = {
    "agent_id": "a1",
    "team_id": "t1",
    "title": "Delight callers",
    "kpi": "csat_avg",
    "target": 4.0,
    "direction": "at_least",
    "period_start": "2026-10-01",
    "period_end": "2026-10-31",
    "weight": 1,
}
CLOCK = datetime(2026, 10, 20, 9, tzinfo=UTC)


def call(n: int, csat: int) -> list[tuple[bytes, bytes]]:
    events = [
        {
            "event_id": f"00000000-0000-4000-8000-{n:012d}",
            "type": "call.completed",
            "agent_id": "a1",
            "team_id": "t1",
            "occurred_at": f"2026-10-{5 + n:02d}T10:00:00Z",
            "call_id": f"c{n}",
            "talk_seconds": 100,
            "hold_seconds": 0,
            "acw_seconds": 20,
            "transferred": False,
            "resolved_first_contact": True,
        },
        {
            "event_id": f"00000000-0000-4000-9000-{n:012d}",
            "type": "survey.completed",
            "agent_id": "a1",
            "team_id": "t1",
            "occurred_at": f"2026-10-{5 + n:02d}T11:00:00Z",
            "call_id": f"c{n}",
            "csat": csat,
        },
    ]
    return [(b"a1", json.dumps(e).encode()) for e in events]


class World:
    def __init__(self, live: LiveModels, client: TestClient) -> None:
        self.live, self.client = live, client
        self.clock = [CLOCK]
        self.manager = GoalProgress(
            live.container.app,
            SqlProgressSource(live.container.db),
            lambda: self.clock[0],
            settle=0,
        )

    def post(
        self, path: str, body: Any = None, who: dict[str, str] = ADMIN, status: int = 200
    ) -> Any:
        response = self.client.post(path, json={} if body is None else body, headers=who)
        assert response.status_code == status, response.text
        return response.json()

    def goal(self, goal_id: str) -> Goal:
        found: Goal = self.live.container.app.repository.get(UUID(goal_id))
        return found

    def next_interval(self) -> None:
        self.clock[0] = self.clock[0].replace(minute=self.clock[0].minute + 15)


def open_world(tmp_path: Path, database_url: str) -> Iterator[World]:
    """A world over a fresh store; the test modules' `world` fixtures yield from it."""
    container = build(make_settings(tmp_path, database_url, None))
    seed_roster(container, *TEAMS_T)
    try:
        yield World(LiveModels(container), TestClient(container.api()))
    finally:
        container.close()
