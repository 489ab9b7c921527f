"""Goal commands over HTTP: auth, scopes, validation, optimistic concurrency (real SQLite)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.rosters import TEAMS_AB
from tests.support import seed_roster, token

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
ADMIN = token("admin", "alice")


@pytest.fixture
def rostered(client: Any) -> Any:
    """The client, with bob managing team-a (agent-1) and eve team-b (tests.rosters.TEAMS_AB)."""
    seed_roster(client, *TEAMS_AB)
    return client


def test_commands_need_a_token(client: Any) -> None:
    response = client.post("/v1/goals", json=GOAL)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_a_forged_token_is_refused(client: Any) -> None:
    forged = {"Authorization": "Bearer " + ADMIN["Authorization"].split()[1][:-2] + "xx"}
    assert client.post("/v1/goals", json=GOAL, headers=forged).status_code == 401


@pytest.mark.parametrize(
    "who",
    [
        token("manager", "eve"),
        token("agent", "agent-1"),
        token("auditor", "ann"),
        token("ingest", "pbx"),
    ],
)
def test_only_admins_and_the_teams_managers_set_goals(rostered: Any, who: dict[str, str]) -> None:
    assert rostered.post("/v1/goals", json=GOAL, headers=who).status_code == 403


def test_a_manager_of_the_team_sets_a_goal_and_is_its_actor(rostered: Any) -> None:
    response = rostered.post("/v1/goals", json=GOAL, headers=token("manager", "bob"))
    assert response.status_code == 201 and response.json()["version"] == 1


@pytest.mark.parametrize(
    "change, field",
    [
        ({"weight": -1}, "weight"),
        ({"period_end": "2026-01-01"}, "body"),
        ({"target": "high"}, "target"),
        ({"direction": None}, "direction"),
    ],
)
def test_invalid_input_is_422_naming_the_field(
    client: Any, change: dict[str, Any], field: str
) -> None:
    response = client.post("/v1/goals", json={**GOAL, **change}, headers=ADMIN)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]


def test_malformed_json_is_422(client: Any) -> None:
    response = client.post(
        "/v1/goals", content=b"{not json", headers={**ADMIN, "content-type": "application/json"}
    )
    assert response.status_code == 422


def test_a_stale_if_match_is_a_409_and_changes_nothing(client: Any) -> None:
    goal_id = client.post("/v1/goals", json=GOAL, headers=ADMIN).json()["id"]
    revise = {"target": 280, "reason": "new baseline"}
    ok = client.post(
        f"/v1/goals/{goal_id}/revise-target", json=revise, headers={**ADMIN, "If-Match": "1"}
    )
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = client.post(
        f"/v1/goals/{goal_id}/revise-target", json=revise, headers={**ADMIN, "If-Match": "1"}
    )
    assert stale.status_code == 409
    bad = client.post(
        f"/v1/goals/{goal_id}/revise-target", json=revise, headers={**ADMIN, "If-Match": "v?"}
    )
    assert bad.status_code == 422


def test_a_revision_without_reason_is_422(client: Any) -> None:
    goal_id = client.post("/v1/goals", json=GOAL, headers=ADMIN).json()["id"]
    response = client.post(
        f"/v1/goals/{goal_id}/revise-target", json={"target": 1, "reason": "  "}, headers=ADMIN
    )
    assert response.status_code == 422


def test_revising_a_cancelled_goal_is_409(client: Any) -> None:
    goal_id = client.post("/v1/goals", json=GOAL, headers=ADMIN).json()["id"]
    assert (
        client.post(
            f"/v1/goals/{goal_id}/cancel", json={"reason": "moved"}, headers=ADMIN
        ).status_code
        == 200
    )
    response = client.post(
        f"/v1/goals/{goal_id}/revise-target", json={"target": 1, "reason": "x"}, headers=ADMIN
    )
    assert response.status_code == 409 and "cancelled" in response.json()["detail"]


def test_unknown_goals_are_404(client: Any) -> None:
    for goal_id in ("not-a-uuid", "5b0c2a0e-8f1c-4c62-9c7e-3f8f9b1a2d44"):
        response = client.post(f"/v1/goals/{goal_id}/cancel", json={"reason": "x"}, headers=ADMIN)
        assert response.status_code == 404


def test_a_manager_of_another_team_cannot_revise(rostered: Any) -> None:
    goal_id = rostered.post("/v1/goals", json=GOAL, headers=ADMIN).json()["id"]
    response = rostered.post(
        f"/v1/goals/{goal_id}/revise-target",
        json={"target": 1, "reason": "x"},
        headers=token("manager", "eve"),
    )
    assert response.status_code == 403


def test_health_needs_no_token(client: Any) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert (
        ready.status_code == 200
        and ready.json()["ready"] is True
        and ready.json()["relay_lag"] == 0
    )


def test_readyz_is_unready_while_the_relay_lags(client: Any, tmp_path: Path) -> None:
    client.app.state.container.settings.ready_max_lag = 0
    client.post("/v1/goals", json=GOAL, headers=ADMIN)  # stored, and no relay runs here
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["relay_lag"] == 1


def test_a_draft_goal_is_activated_once_by_its_teams_manager(rostered: Any) -> None:
    goal_id = rostered.post("/v1/goals", json={**GOAL, "draft": True}, headers=ADMIN).json()["id"]
    assert rostered.post(f"/v1/goals/{goal_id}/activate").status_code == 401
    assert (
        rostered.post(f"/v1/goals/{goal_id}/activate", headers=token("manager", "eve")).status_code
        == 403
    )
    assert (
        rostered.post(
            f"/v1/goals/{goal_id}/activate", headers={**ADMIN, "If-Match": "7"}
        ).status_code
        == 409
    )
    ok = rostered.post(f"/v1/goals/{goal_id}/activate", headers=token("manager", "bob"))
    assert ok.status_code == 200 and ok.json()["version"] == 2
    assert rostered.post(f"/v1/goals/{goal_id}/activate", headers=ADMIN).status_code == 409
