"""GET /v1/kpis answers the KPI catalogue to any signed-in role; the leaderboard ranks by its
directions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aggregates.kpis import CATALOGUE
from engine.bootstrap import build
from tests.integration.live import LiveModels
from tests.rosters import TEAMS_T
from tests.support import make_settings, seed_roster, token

ROLES = [
    token("admin"),
    token("auditor", "ann"),
    token("manager", "bob"),
    token("agent", "a1"),
    token("ingest", "pbx"),
]


@pytest.fixture
def live(tmp_path: Path, database_url: str) -> Iterator[tuple[LiveModels, Any]]:
    container = build(make_settings(tmp_path, database_url, None))
    seed_roster(container, *TEAMS_T)
    try:
        yield LiveModels(container), TestClient(container.api())
    finally:
        container.close()


def call(
    n: int, agent: str, talk: int, hold: int, transferred: bool, resolved: bool
) -> tuple[bytes, bytes]:
    event = {
        "event_id": f"00000000-0000-4000-8000-{n:012d}",
        "type": "call.completed",
        "agent_id": agent,
        "team_id": "t1",
        "occurred_at": f"2026-10-05T10:{n:02d}:00Z",
        "call_id": f"c{n}",
        "talk_seconds": talk,
        "hold_seconds": hold,
        "acw_seconds": 10,
        "transferred": transferred,
        "resolved_first_contact": resolved,
    }
    return agent.encode(), json.dumps(event).encode()


def test_every_role_reads_the_catalogue_and_nobody_unsigned(live: tuple[LiveModels, Any]) -> None:
    _, client = live
    for headers in ROLES:
        answer = client.get("/v1/kpis", headers=headers)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"items": [kpi.describe() for kpi in CATALOGUE]}
    assert client.get("/v1/kpis").status_code == 401


def test_the_leaderboard_ranks_each_kpi_best_first_by_the_catalogue_s_direction(
    live: tuple[LiveModels, Any],
) -> None:
    models, client = live
    models.ingest(
        [
            call(1, "a1", 100, 0, False, True),
            call(2, "a1", 120, 5, False, True),
            call(3, "a2", 400, 60, True, False),
        ]
    )
    for kpi in CATALOGUE:
        board = client.get(
            f"/v1/teams/t1/leaderboard?kpi={kpi.name}&from=2026-10-05&to=2026-10-06",
            headers=ROLES[0],
        ).json()
        assert board["order"] == ("ascending" if kpi.better == "lower" else "descending"), kpi.name
        ranked = [row["value"] for row in board["rows"] if row["value"] is not None]
        assert ranked == sorted(ranked, reverse=kpi.better == "higher"), kpi.name
