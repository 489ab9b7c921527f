"""KPIs as known at a moment: the archive recorded by then, recomputed with the live rules."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from engine.bootstrap import build
from engine.simulate import simulate
from tests.integration.live import LiveModels
from tests.support import make_settings, token

AUDITOR = token("auditor", "ann")
CALL = {
    "event_id": "00000000-0000-4000-8000-000000000001",
    "type": "call.completed",
    "agent_id": "a1",
    "team_id": "t1",
    "occurred_at": "2026-10-05T10:00:00Z",
    "call_id": "c1",
    "talk_seconds": 100,
    "hold_seconds": 0,
    "acw_seconds": 20,
    "transferred": False,
    "resolved_first_contact": True,
}
SURVEY = {
    "event_id": "00000000-0000-4000-8000-000000000002",
    "type": "survey.completed",
    "agent_id": "a1",
    "team_id": "t1",
    "occurred_at": "2026-10-07T09:00:00Z",
    "call_id": "c1",
    "csat": 5,
}


@pytest.fixture
def live(tmp_path: Path, database_url: str) -> Iterator[tuple[LiveModels, Any]]:
    container = build(make_settings(tmp_path, database_url, None))
    try:
        yield LiveModels(container), TestClient(container.api())
    finally:
        container.close()


def message(event: dict[str, Any]) -> tuple[bytes, bytes]:
    return event["agent_id"].encode(), json.dumps(event).encode()


def at(moment: datetime) -> str:
    return quote(moment.isoformat())


def test_a_survey_recorded_after_the_moment_does_not_count(live: tuple[LiveModels, Any]) -> None:
    models, client = live
    models.ingest([message(CALL)])
    time.sleep(0.01)
    seen = datetime.now(UTC)
    time.sleep(0.01)
    models.ingest(
        [message(SURVEY)]
    )  # late: it lands in the call's day, but after the manager looked
    for path in ("/v1/agents/a1/kpis", "/v1/teams/t1/kpis"):
        then = client.get(f"{path}?bucket=day&as_known_at={at(seen)}", headers=AUDITOR).json()
        now = client.get(f"{path}?bucket=day", headers=AUDITOR).json()
        assert [r["start"] for r in then["rows"]] == ["2026-10-05T00:00:00+00:00"]
        assert then["rows"][0]["csat_avg"] is None and then["rows"][0]["calls_handled"] == 1
        assert now["rows"][0]["csat_avg"] == 5.0
        assert then["as_known_at"] == seen.isoformat()
    board = client.get(
        f"/v1/teams/t1/leaderboard?kpi=csat_avg&as_known_at={at(seen)}", headers=AUDITOR
    ).json()
    assert board["rows"][0]["value"] is None


def test_as_known_at_now_reproduces_the_live_dashboard_in_every_bucket(
    live: tuple[LiveModels, Any],
) -> None:
    models, client = live
    models.ingest(simulate(agents=3, teams=1, rate=20, duration=60, seed=5))
    now = at(datetime.now(UTC))
    for bucket in ("interval", "day", "week", "month"):
        for path in ("/v1/agents/agent-0001/kpis", "/v1/teams/team-01/kpis"):
            live_rows = client.get(f"{path}?bucket={bucket}", headers=AUDITOR).json()["rows"]
            known = client.get(f"{path}?bucket={bucket}&as_known_at={now}", headers=AUDITOR).json()[
                "rows"
            ]
            assert known == live_rows and live_rows, (path, bucket)
    live_board = client.get("/v1/teams/team-01/leaderboard?kpi=aht_seconds", headers=AUDITOR).json()
    known_board = client.get(
        f"/v1/teams/team-01/leaderboard?kpi=aht_seconds&as_known_at={now}", headers=AUDITOR
    ).json()
    assert known_board["rows"] == live_board["rows"]
