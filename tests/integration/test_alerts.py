"""Alerts end to end: KPI sums trip a team rule, the alert is an event projected like the others,
listed by GET /v1/alerts, and a manager turns it into a coaching check-in with one command."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.kafka.broker import EmbeddedBroker
from adapters.sql.alert_source import SqlAlertSource
from adapters.sql.kpi_view import KpiView
from engine.alerting import AlertEvaluator
from tests.rosters import TEAMS_AB, plus_agents
from tests.support import Pipeline, make_settings, seed_roster, token, wait_until

ADMIN = token("admin", "alice")
MANAGER = token("manager", "bob")  # of team-a (tests.rosters.TEAMS_AB)
OTHER_MANAGER = token("manager", "eve")  # of team-b
GOAL = {
    "agent_id": "agent-1",
    "team_id": "team-a",
    "title": "Handle time",
    "kpi": "aht_seconds",
    "target": 300,
    "direction": "at_most",
    "period_start": "2026-10-01",
    "period_end": "2026-12-31",
}


def calls(agent: str, day: int, handle: int, count: int = 6) -> list[dict[str, Any]]:
    return [
        {
            "event_id": str(uuid.uuid4()),
            "type": "call.completed",
            "agent_id": agent,
            "team_id": "team-a",
            "occurred_at": datetime(2026, 10, day, 9, n, tzinfo=UTC),
            "call_id": f"{agent}-{day}-{n}",
            "talk_seconds": handle,
            "hold_seconds": 0,
            "acw_seconds": 0,
            "transferred": False,
            "resolved_first_contact": True,
        }
        for n in range(count)
    ]


@pytest.fixture
def pipeline(tmp_path: Path, broker: EmbeddedBroker) -> Iterator[Pipeline]:
    running = Pipeline(make_settings(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", broker.bootstrap))
    running.start("relay", "projector")
    seed_roster(running.container, *plus_agents(TEAMS_AB, "team-a", "a1", "a2", "a3", "slow"))
    try:
        yield running
    finally:
        running.close()


def evaluator(pipeline: Pipeline) -> AlertEvaluator:
    return AlertEvaluator(
        pipeline.container.app,
        SqlAlertSource(pipeline.container.db),
        lookback_days=30,
        clock=lambda: datetime(2026, 10, 9, 12, tzinfo=UTC),
    )


def test_three_slow_days_raise_one_alert_that_a_manager_turns_into_a_check_in(
    pipeline: Pipeline,
) -> None:
    client = pipeline.client()
    goal_id = client.post("/v1/goals", json=GOAL, headers=ADMIN).json()["id"]
    wait_until(
        lambda: client.get(f"/v1/goals/{goal_id}", headers=ADMIN).status_code == 200, timeout=15
    )
    with pipeline.container.db.transaction() as cur:
        for day, handle in ((5, 320), (6, 330), (7, 340), (8, 290)):
            KpiView().apply_events(cur, calls("agent-1", day, handle))
    alerts = evaluator(pipeline)
    assert alerts.step() == 1
    assert alerts.step() == 0  # nothing changed since
    assert evaluator(pipeline).step() == 0  # a restarted evaluator raises nothing twice
    listed = wait_until(
        lambda: client.get("/v1/alerts?team_id=team-a", headers=MANAGER).json()["items"], timeout=15
    )
    (alert,) = listed
    assert (alert["rule"], alert["agent_id"], alert["status"], alert["day"]) == (
        "goal_streak",
        "agent-1",
        "open",
        "2026-10-07",
    )
    assert client.get("/v1/alerts?team_id=team-a", headers=OTHER_MANAGER).json()["items"] == []
    assert (
        client.post(f"/v1/alerts/{alert['id']}/check-in", headers=OTHER_MANAGER).status_code == 403
    )

    made = client.post(f"/v1/alerts/{alert['id']}/check-in", headers=MANAGER)
    assert made.status_code == 201, made.text
    check_in = wait_until(
        lambda: (
            client.get(f"/v1/check-ins/{made.json()['id']}", headers=MANAGER).json()
            if client.get(f"/v1/check-ins/{made.json()['id']}", headers=MANAGER).status_code == 200
            else None
        ),
        timeout=15,
    )
    assert check_in["manager"] == "manager:bob" and check_in["agent_id"] == "agent-1"
    assert [g["goal_id"] for g in check_in["goals"]] == [goal_id]
    assert "3 days in a row" in check_in["notes"]
    handled = wait_until(
        lambda: (
            client.get(f"/v1/alerts/{alert['id']}", headers=MANAGER).json()["status"]
            == "checked_in"
        ),
        timeout=15,
    )
    assert handled
    again = client.post(f"/v1/alerts/{alert['id']}/check-in", headers=MANAGER)
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
    open_only = client.get("/v1/alerts?status=open", headers=ADMIN).json()["items"]
    assert open_only == []


def test_team_rules_replace_the_defaults(pipeline: Pipeline) -> None:
    client = pipeline.client()
    assert client.get("/v1/teams/team-a/alert-rules", headers=MANAGER).json()["defaults"] is True
    rules = {"rules": [{"kind": "deviation", "kpi": "aht_seconds", "sigma": 1.0, "min_agents": 3}]}
    assert (
        client.put("/v1/teams/team-a/alert-rules", json=rules, headers=MANAGER).status_code == 200
    )
    assert (
        client.put("/v1/teams/team-a/alert-rules", json=rules, headers=OTHER_MANAGER).status_code
        == 403
    )
    wait_until(
        lambda: (
            client.get("/v1/teams/team-a/alert-rules", headers=MANAGER).json()["defaults"] is False
        ),
        timeout=15,
    )
    with pipeline.container.db.transaction() as cur:
        for agent, handle in (("a1", 300), ("a2", 310), ("a3", 290), ("slow", 700)):
            KpiView().apply_events(cur, calls(agent, 5, handle))
    assert evaluator(pipeline).step() == 1
    (alert,) = wait_until(
        lambda: client.get("/v1/alerts", headers=ADMIN).json()["items"], timeout=15
    )
    assert (alert["rule"], alert["agent_id"], alert["kpi"]) == ("deviation", "slow", "aht_seconds")
    dismissed = client.post(
        f"/v1/alerts/{alert['id']}/dismiss", json={"reason": "system outage"}, headers=MANAGER
    )
    assert dismissed.status_code == 200
