"""Hostile or careless input: a 4xx problem with a message, never a 500 (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support import Pipeline, make_settings, token

ADMIN = token("admin", "alice")
GOAL: dict[str, Any] = {
    "agent_id": "agent-1",
    "team_id": "team-a",
    "title": "AHT",
    "kpi": "aht_seconds",
    "target": 300,
    "direction": "at_most",
    "period_start": "2026-10-01",
    "period_end": "2026-12-31",
    "weight": 1,
}


@pytest.fixture
def api(tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    """The API over each store; a server error is an answer here, not an exception."""
    pipeline = Pipeline(make_settings(tmp_path, database_url, None))
    try:
        yield TestClient(pipeline.container.api(), raise_server_exceptions=False)
    finally:
        pipeline.close()


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["detail"]
    return body


def test_a_nul_in_a_goals_agent_id_is_422_naming_the_field_and_stores_nothing(
    api: TestClient,
) -> None:
    body = problem(
        api.post("/v1/goals", json={**GOAL, "agent_id": "ag\u0000ent"}, headers=ADMIN), 422
    )
    assert [e["field"] for e in body["errors"]] == ["agent_id"]
    assert not api.app.state.container.app.recorder.max_notification_id()  # type: ignore[attr-defined]


def test_control_characters_anywhere_in_a_command_are_422(api: TestClient) -> None:
    check_in = {
        "agent_id": "agent-1",
        "team_id": "team-a",
        "held_at": "2026-10-01T10:00:00+00:00",
        "notes": "fine\nnotes",
        "action_items": [{"description": "x\x00", "owner_id": "a", "due": "2026-11-01"}],
    }
    body = problem(api.post("/v1/check-ins", json=check_in, headers=ADMIN), 422)
    assert [e["field"] for e in body["errors"]] == ["action_items.0.description"]
    assert "control characters" in body["detail"]


def test_a_boolean_is_not_a_number(api: TestClient) -> None:
    body = problem(api.post("/v1/goals", json={**GOAL, "target": True}, headers=ADMIN), 422)
    assert [e["field"] for e in body["errors"]] == ["target"]


def test_a_bearer_token_with_a_non_ascii_byte_is_401(api: TestClient) -> None:
    problem(api.get("/v1/goals", headers={"Authorization": b"Bearer abc.d\xe9f"}), 401)
    problem(api.post("/v1/goals", json=GOAL, headers={"Authorization": b"Bearer \xff\xfe.x"}), 401)


@pytest.mark.parametrize("body", ["[" * 1000 + "]" * 1000, '{"title": ' * 1000 + "1" + "}" * 1000])
def test_a_body_nested_1000_deep_is_a_400_problem(api: TestClient, body: str) -> None:
    headers = {**ADMIN, "content-type": "application/json"}
    assert (
        "nested too deeply"
        in problem(api.post("/v1/goals", content=body.encode(), headers=headers), 400)["detail"]
    )


def test_an_if_match_of_5000_digits_is_422_naming_the_expected_format(api: TestClient) -> None:
    goal_id = api.post("/v1/goals", json=GOAL, headers=ADMIN).json()["id"]
    response = api.post(
        f"/v1/goals/{goal_id}/cancel",
        json={"reason": "x"},
        headers={**ADMIN, "If-Match": "9" * 5000},
    )
    body = problem(response, 422)
    assert body["errors"][0]["field"] == "If-Match" and "1 to 18 digits" in body["detail"]


@pytest.mark.parametrize(
    "url, field",
    [
        ("/v1/agents/agent-1/kpis?to=9999-12-31", "to"),
        ("/v1/teams/team-a/kpis?bucket=week&to=9999-12-31", "to"),
        ("/v1/teams/team-a/kpis?from=0001-01-01T00:00:00%2B01:00", "from"),
        ("/v1/teams/team-a/leaderboard?to=9999-12-31", "to"),
        ("/v1/agents/agent-1/kpis?as_known_at=9999-12-31T23:59:59-01:00", "as_known_at"),
        ("/v1/teams/team-a/kpis?as_known_at=9999-12-31T23:59:59-01:00", "as_known_at"),
        ("/v1/teams/team-a/leaderboard?as_known_at=9999-12-31T23:59:59-01:00", "as_known_at"),
        ("/v1/goals/rollup?team_id=team-a&to=9999-12-31", "to"),
    ],
)
def test_kpi_bounds_outside_the_date_window_are_422(api: TestClient, url: str, field: str) -> None:
    body = problem(api.get(url, headers=ADMIN), 422)
    assert [e["field"] for e in body["errors"]] == [field]
    assert "2000-01-01" in body["detail"] and "2100-01-01" in body["detail"]


def test_an_audit_state_as_of_outside_the_window_is_422(api: TestClient) -> None:
    goal_id = api.post("/v1/goals", json=GOAL, headers=ADMIN).json()["id"]
    url = f"/v1/audit/{goal_id}/state?as_of=9999-12-31T23:59:59-01:00"
    assert problem(api.get(url, headers=ADMIN), 422)["errors"][0]["field"] == "as_of"


@pytest.mark.parametrize(
    "url, field",
    [
        ("/v1/goals?agent_id=a%00b", "agent_id"),
        ("/v1/goals?cursor=a%00b", "cursor"),
        ("/v1/goals/a%00b", "goal_id"),
        ("/v1/goals/rollup?team_id=a%00b", "team_id"),
        ("/v1/agents/a%00b/kpis", "agent_id"),
        ("/v1/teams/t/kpis?cursor=a%00b", "cursor"),
        ("/v1/teams/a%00b/leaderboard", "team_id"),
        ("/v1/audit/a%00b/events", "aggregate_id"),
        ("/v1/check-ins?team_id=%00", "team_id"),
        ("/v1/reviews?status=x%1fy", "status"),
        ("/v1/alerts?agent_id=%00", "agent_id"),
    ],
)
def test_a_control_character_in_any_path_or_query_value_is_422(
    api: TestClient, url: str, field: str
) -> None:
    body = problem(api.get(url, headers=ADMIN), 422)
    assert [e["field"] for e in body["errors"]] == [field]


def test_unknown_routes_and_methods_answer_problems(api: TestClient) -> None:
    problem(api.get("/v1/nothing-here", headers=ADMIN), 404)
    problem(api.delete("/v1/goals", headers=ADMIN), 405)


@pytest.mark.parametrize("head", ["%C2%B2:" + "a" * 64, "9" * 5000 + ":" + "a" * 64])
def test_a_verify_head_with_odd_digits_is_422(api: TestClient, head: str) -> None:
    body = problem(api.get(f"/v1/audit/verify?events_head={head}", headers=ADMIN), 422)
    assert body["errors"][0]["field"] == "events_head" and "N:CHAIN" in body["detail"]


@pytest.mark.parametrize(
    "rule, field",
    [
        ({"kind": "goal_streak", "days": True}, "rules.0.goal_streak.days"),
        ({"kind": "deviation", "kpi": "aht_seconds", "sigma": True}, "rules.0.deviation.sigma"),
    ],
)
def test_alert_rules_take_no_boolean_for_a_number(
    api: TestClient, rule: dict[str, Any], field: str
) -> None:
    body = problem(
        api.put("/v1/teams/team-a/alert-rules", json={"rules": [rule]}, headers=ADMIN), 422
    )
    assert [e["field"] for e in body["errors"]] == [field]
