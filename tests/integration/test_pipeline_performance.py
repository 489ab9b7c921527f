"""Check-in, review and template read models projected through Kafka, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.kafka.broker import EmbeddedBroker
from tests.integration.test_http_performance import (
    ADMIN,
    AGENT,
    CHECK_IN,
    GOAL,
    MANAGER,
    OTHER_AGENT,
    post,
)
from tests.rosters import TEAMS_AB, plus_agents
from tests.support import Pipeline, make_settings, seed_roster, token, wait_until

OTHER_MANAGER = token("manager", "eve")  # of team-b (tests.rosters.TEAMS_AB)


@pytest.fixture
def client(tmp_path: Path, database_url: str, broker: EmbeddedBroker) -> Iterator[Any]:
    running = Pipeline(make_settings(tmp_path, database_url, broker.bootstrap)).start(
        "relay", "projector"
    )
    seed_roster(running.container, *plus_agents(TEAMS_AB, "team-a", "a1", "a2", "a3"))
    try:
        yield running.client()
    finally:
        running.close()


def projected(client: Any, path: str, version: int) -> dict[str, Any] | None:
    response = client.get(path, headers=ADMIN)
    if response.status_code != 200 or response.json()["version"] < version:
        return None
    return dict(response.json())


def test_check_ins_and_reviews_are_projected_and_agree_with_the_aggregates(client: Any) -> None:
    goal_id = post(client, "/v1/goals", GOAL, ADMIN, 201)["id"]
    post(
        client,
        f"/v1/goals/{goal_id}/progress",
        {"value": 250, "as_of": "2026-08-01T00:00:00Z"},
        MANAGER,
    )
    check_in_id = post(client, "/v1/check-ins", {**CHECK_IN, "goal_ids": [goal_id]}, MANAGER, 201)[
        "id"
    ]
    post(client, f"/v1/check-ins/{check_in_id}/action-items/1/complete", who=MANAGER)
    post(
        client,
        "/v1/review-templates",
        {"policy_id": "q3", "criteria": ["quality"], "goal_weight": 0.5},
        ADMIN,
        201,
    )
    review = {
        "agent_id": "agent-1",
        "team_id": "team-a",
        "period_start": "2026-07-01",
        "period_end": "2026-09-30",
        "goal_ids": [goal_id],
        "policy_id": "q3",
    }
    review_id = post(client, "/v1/reviews", review, MANAGER, 201)["id"]
    base = f"/v1/reviews/{review_id}"
    post(
        client, f"{base}/scores", {"criterion": "quality", "score": 4, "rationale": "good"}, MANAGER
    )
    post(client, f"{base}/finalize", who=MANAGER)
    post(
        client, f"{base}/disputes", {"reason": "QA sample too small", "criterion": "quality"}, AGENT
    )

    check_in = wait_until(lambda: projected(client, f"/v1/check-ins/{check_in_id}", 2), timeout=20)
    assert check_in["goals"][0]["latest_value"] == 250.0 and check_in["open_action_items"] == 0
    assert check_in["feedback"][0]["outcome"] == "Use the knowledge base"
    assert check_in["action_items"][0]["completed_by"] == "manager:bob"
    doc = wait_until(lambda: projected(client, base, 4), timeout=20)
    assert doc["policy_id"] == "q3" and doc["policy_version"] == 1 and doc["status"] == "finalised"
    assert [d["criterion"] for d in doc["open_disputes"]] == ["quality"]
    assert (
        doc["score_changes"][0]["after"] == 4 and doc["score_changes"][0]["actor"] == "manager:bob"
    )
    state = client.get(f"/v1/audit/{review_id}/state", headers=ADMIN).json()
    for key in (
        "status",
        "scores",
        "score_changes",
        "overall_score",
        "finalisations",
        "disputes",
        "calibration",
        "policy_id",
        "policy_version",
        "goal_ids",
        "reviewer",
    ):
        assert doc[key] == state[key], key
    goal = wait_until(lambda: projected(client, f"/v1/goals/{goal_id}", 2), timeout=20)
    assert goal["attainment"] == 1.2 and goal["latest_progress"]["before"] is None


def test_reads_are_scoped_to_the_role(client: Any) -> None:
    check_in_id = post(client, "/v1/check-ins", CHECK_IN, MANAGER, 201)["id"]
    wait_until(lambda: projected(client, f"/v1/check-ins/{check_in_id}", 1), timeout=20)
    path = f"/v1/check-ins/{check_in_id}"
    assert client.get(path).status_code == 401
    for who in (OTHER_MANAGER, OTHER_AGENT, token("ingest", "pbx")):
        assert client.get(path, headers=who).status_code == 403
    for who in (AGENT, MANAGER, token("auditor", "ann")):
        assert client.get(path, headers=who).status_code == 200
    assert client.get("/v1/check-ins", headers=OTHER_AGENT).json()["items"] == []
    assert len(client.get("/v1/check-ins", headers=AGENT).json()["items"]) == 1
    assert client.get(f"/v1/audit/{check_in_id}/state", headers=OTHER_AGENT).status_code == 403


def test_team_goals_roll_up_by_weight(client: Any) -> None:
    template = {
        **{k: v for k, v in GOAL.items() if k != "agent_id"},
        "target": 100,
        "direction": "at_least",
    }
    template_id = post(client, "/v1/goal-templates", template, MANAGER, 201)["id"]
    goals = post(
        client, f"/v1/goal-templates/{template_id}/assign", {"agent_ids": ["a1", "a2"]}, MANAGER
    )["goals"]
    post(
        client,
        "/v1/goals",
        {**GOAL, "agent_id": "a3", "weight": 2, "target": 100, "direction": "at_least"},
        MANAGER,
        201,
    )
    post(
        client,
        f"/v1/goals/{goals['a1']}/progress",
        {"value": 50, "as_of": "2026-08-01T00:00:00Z"},
        MANAGER,
    )
    post(
        client,
        f"/v1/goals/{goals['a2']}/progress",
        {"value": 100, "as_of": "2026-08-01T00:00:00Z"},
        MANAGER,
    )
    wait_until(lambda: projected(client, f"/v1/goals/{goals['a2']}", 2), timeout=20)
    wait_until(lambda: projected(client, f"/v1/goal-templates/{template_id}", 2), timeout=20)
    rollup = client.get(
        f"/v1/goals/rollup?team_id=team-a&template_id={template_id}", headers=MANAGER
    ).json()
    assert (rollup["goals"], rollup["measured"], rollup["attainment"]) == (2, 2, 0.75)
    team = wait_until(
        lambda: (
            client.get("/v1/goals/rollup?team_id=team-a", headers=MANAGER).json()
            if client.get("/v1/goals/rollup?team_id=team-a", headers=MANAGER).json()["goals"] == 3
            else None
        ),
        timeout=20,
    )
    assert team["measured"] == 2 and team["by_status"] == {"active": 3}
    assert client.get("/v1/goals/rollup?team_id=team-a", headers=OTHER_MANAGER).status_code == 403
    assert client.get("/v1/goals/rollup?team_id=team-a", headers=AGENT).status_code == 403
