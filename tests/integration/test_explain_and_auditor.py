"""Explain routes trace numbers to their inputs; the auditor role reads all and writes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from adapters.sql.progress_source import SqlProgressSource
from engine.bootstrap import build
from engine.progress import GoalProgress
from tests.integration.live import LiveModels
from tests.rosters import TEAMS_T
from tests.support import make_settings, seed_roster, token

ADMIN, AUDITOR = token("admin", "alice"), token("auditor", "ann")
GOAL = {
    "agent_id": "a1",
    "team_id": "t1",
    "title": "Delight callers",
    "kpi": "csat_avg",
    "target": 4.0,
    "direction": "at_least",
    "period_start": "2026-10-01",
    "period_end": "2026-12-31",
    "weight": 1,
}


def call(n: int) -> dict[str, Any]:
    return {
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
    }


def survey(n: int, csat: int) -> dict[str, Any]:
    return {
        "event_id": f"00000000-0000-4000-9000-{n:012d}",
        "type": "survey.completed",
        "agent_id": "a1",
        "team_id": "t1",
        "occurred_at": f"2026-10-{6 + n:02d}T09:00:00Z",
        "call_id": f"c{n}",
        "csat": csat,
    }


def messages(*events: dict[str, Any]) -> list[tuple[bytes, bytes]]:
    return [(b"a1", json.dumps(e).encode()) for e in events]


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[LiveModels, TestClient]]:
    container = build(make_settings(tmp_path, f"sqlite:///{tmp_path / 'x.db'}", None))
    seed_roster(container, *TEAMS_T)
    try:
        app = container.api()
        client = TestClient(app)
        client.openapi = app.openapi()
        yield LiveModels(container), client
    finally:
        container.close()


def test_goal_progress_and_review_scores_are_explained_by_their_inputs(
    running: tuple[LiveModels, TestClient],
) -> None:
    live, client = running
    goal_id = client.post("/v1/goals", json=GOAL, headers=ADMIN).json()["id"]
    live.project()
    live.ingest(messages(call(1), call(2), survey(1, 5), survey(2, 4)))
    clock = [datetime(2026, 11, 2, 9, tzinfo=UTC)]
    manager = GoalProgress(
        live.container.app, SqlProgressSource(live.container.db), lambda: clock[0]
    )
    assert manager.step() == 1
    live.ingest(messages(call(3), survey(3, 1)))  # recorded after the progress: not part of it
    explained = client.get(f"/v1/goals/{goal_id}/progress/1/explain", headers=AUDITOR).json()
    assert explained["source"] == "kpi:csat_avg" and explained["value"] == 4.5
    assert explained["reproduced"] is True and explained["recomputed"] == 4.5
    assert explained["telephony_event_ids"] == sorted(
        e["event_id"] for e in (call(1), call(2), survey(1, 5), survey(2, 4))
    )
    assert [b["start"][:10] for b in explained["buckets"]] == ["2026-10-06", "2026-10-07"]
    assert client.get(f"/v1/goals/{goal_id}/progress/2/explain", headers=AUDITOR).status_code == 404

    review = client.post(
        "/v1/reviews",
        json={
            "agent_id": "a1",
            "team_id": "t1",
            "period_start": "2026-10-01",
            "period_end": "2026-12-31",
            "goal_ids": [goal_id],
            "criteria": ["quality"],
        },
        headers=ADMIN,
    ).json()["id"]
    for score, reason in ((2, None), (4, "second look")):
        body = {"criterion": "quality", "score": score, "rationale": "calls", "reason": reason}
        assert (
            client.post(f"/v1/reviews/{review}/scores", json=body, headers=ADMIN).status_code < 300
        )
    assert client.post(f"/v1/reviews/{review}/finalize", headers=ADMIN).status_code < 300
    why = client.get(f"/v1/reviews/{review}/explain", headers=AUDITOR).json()
    assert why["policy"]["policy_id"] == "inline" and why["policy"]["version"] == 1
    assert [(c["before"], c["after"]) for c in why["score_changes"]] == [(None, 2), (2, 4)]
    assert why["finalisations"][0]["reproduced"] is True
    assert (
        why["goals"][0]["latest_progress"]["telephony_event_ids"]
        == explained["telephony_event_ids"]
    )


def write_routes(client: TestClient) -> list[tuple[str, str]]:
    """Every route of the OpenAPI document that is not a read."""
    paths = client.openapi["paths"]
    return [
        (method.upper(), path)
        for path, methods in paths.items()
        for method in methods
        if method.upper() not in ("GET", "HEAD", "OPTIONS")
    ]


def test_every_write_route_refuses_an_auditor(running: tuple[LiveModels, TestClient]) -> None:
    _, client = running
    routes = write_routes(client)
    assert len(routes) >= 15
    for method, path in routes:
        url = path.replace("{", "").replace("}", "")
        response = client.request(method, url, json={}, headers=AUDITOR)
        assert response.status_code == 403, (method, path, response.status_code)


def test_the_auditor_reads_replays_and_verifies(running: tuple[LiveModels, TestClient]) -> None:
    live, client = running
    goal_id = client.post("/v1/goals", json=GOAL, headers=ADMIN).json()["id"]
    live.project()
    assert client.get(f"/v1/goals/{goal_id}", headers=AUDITOR).status_code == 200
    assert client.get(f"/v1/audit/{goal_id}/events", headers=AUDITOR).status_code == 200
    state = client.get(f"/v1/audit/{goal_id}/state?version=1", headers=AUDITOR).json()
    assert state["version"] == 1 and state["replayed"]["scores"]["target"] == 4.0
    assert client.get("/v1/audit/verify", headers=AUDITOR).json()["ok"] is True
    assert (
        client.get("/v1/audit/verify", headers=token("manager", "bob")).status_code == 403
    )  # bob: t1
