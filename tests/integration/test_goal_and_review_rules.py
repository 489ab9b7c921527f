"""Rules around goals, reviews, check-ins and KPI reads, over HTTP (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.integration.goal_world import ADMIN, GOAL, MANAGER, World, call, open_world
from tests.support import token

SELF_MANAGER = token("manager", "m1")  # a manager of t1 who is also one of its members
AGENT = token("agent", "a1")
REVIEW = {
    "agent_id": "a1",
    "team_id": "t1",
    "period_start": "2026-07-01",
    "period_end": "2026-09-30",
    "goal_ids": [],
    "criteria": ["quality"],
}


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[World]:
    yield from open_world(tmp_path, database_url)


def problem(
    world: World, path: str, body: object, who: dict[str, str], status: int
) -> dict[str, object]:
    response = world.client.post(path, json=body, headers=who)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return dict(response.json())


def test_a_manager_cannot_command_their_own_goal(world: World) -> None:
    own = {**GOAL, "agent_id": "m1"}
    goal_id = world.post("/v1/goals", own, status=201)["id"]
    for route, body in (
        ("revise-target", {"target": 3.0, "reason": "easier"}),
        ("cancel", {"reason": "no"}),
        ("progress", {"value": 5, "as_of": "2026-10-10T10:00:00Z"}),
        ("close", {"as_of": "2026-11-01T10:00:00Z"}),
    ):
        refused = problem(world, f"/v1/goals/{goal_id}/{route}", body, SELF_MANAGER, 409)
        assert "own goal" in str(refused["detail"])
    assert "own goal" in str(problem(world, "/v1/goals", own, SELF_MANAGER, 409)["detail"])
    assert world.goal(goal_id).version == 1


def test_a_second_review_of_an_overlapping_period_is_refused_until_the_first_is_cancelled(
    world: World,
) -> None:
    first = world.post("/v1/reviews", REVIEW, MANAGER, 201)["id"]
    refused = problem(world, "/v1/reviews", REVIEW, MANAGER, 409)
    assert refused["ids"] == {"agent_id": "a1", "review_ids": [first]}
    problem(
        world,
        "/v1/reviews",
        {**REVIEW, "period_start": "2026-09-30", "period_end": "2026-12-31"},
        MANAGER,
        409,
    )
    world.post(
        "/v1/reviews",
        {**REVIEW, "period_start": "2026-10-01", "period_end": "2026-12-31"},
        MANAGER,
        201,
    )
    world.post("/v1/reviews", {**REVIEW, "agent_id": "a2"}, MANAGER, 201)
    problem(world, f"/v1/reviews/{first}/cancel", {"reason": " "}, MANAGER, 422)
    assert (
        world.post(
            f"/v1/reviews/{first}/cancel", {"reason": "started for the wrong period"}, MANAGER
        )["status"]
        == "cancelled"
    )
    problem(
        world,
        f"/v1/reviews/{first}/scores",
        {"criterion": "quality", "score": 3, "rationale": "x"},
        MANAGER,
        409,
    )
    problem(world, f"/v1/reviews/{first}/cancel", {"reason": "again"}, MANAGER, 409)
    world.post("/v1/reviews", REVIEW, MANAGER, 201)
    world.live.project()
    doc = world.client.get(f"/v1/reviews/{first}", headers=ADMIN).json()
    assert (
        doc["status"] == "cancelled"
        and doc["cancellation"]["reason"] == "started for the wrong period"
    )
    assert doc["cancellation"]["actor"] == "manager:bob"


def test_acknowledging_is_refused_while_a_dispute_is_open(world: World) -> None:
    review_id = world.post("/v1/reviews", REVIEW, MANAGER, 201)["id"]
    world.post(
        f"/v1/reviews/{review_id}/scores",
        {"criterion": "quality", "score": 3, "rationale": "x"},
        MANAGER,
    )
    world.post(f"/v1/reviews/{review_id}/finalize", who=MANAGER)
    world.post(f"/v1/reviews/{review_id}/disputes", {"reason": "QA sample too small"}, AGENT)
    assert "disputes are open" in str(
        problem(world, f"/v1/reviews/{review_id}/acknowledge", {}, AGENT, 409)["detail"]
    )
    world.post(
        f"/v1/reviews/{review_id}/disputes/0/uphold",
        {"reason": "the sample is the standard"},
        MANAGER,
    )
    world.post(f"/v1/reviews/{review_id}/acknowledge", who=AGENT)


def test_a_check_in_held_in_the_future_is_refused(world: World) -> None:
    body = {"agent_id": "a1", "team_id": "t1", "notes": "1:1"}
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    refused = problem(world, "/v1/check-ins", {**body, "held_at": later}, MANAGER, 422)
    assert refused["errors"] == [
        {
            "field": "held_at",
            "reason": "held_at must not be in the future: record a check-in once it is held",
        }
    ]
    skewed = (
        datetime.now(UTC) + timedelta(minutes=2)
    ).isoformat()  # within the clock-skew allowance
    world.post("/v1/check-ins", {**body, "held_at": skewed}, MANAGER, 201)


def get(world: World, path: str) -> tuple[int, Any]:
    response = world.client.get(path, headers=ADMIN)
    return response.status_code, response.json()


def test_kpi_reads_refuse_a_range_that_ends_before_it_starts(world: World) -> None:
    world.live.ingest(call(1, 5))
    for path in ("/v1/agents/a1/kpis", "/v1/teams/t1/kpis", "/v1/teams/t1/leaderboard"):
        status, body = get(world, f"{path}?from=2026-10-05&to=2026-10-01")
        assert status == 422 and body["errors"] == [
            {"field": "from", "reason": "from must not be after to"}
        ], path
        assert get(world, f"{path}?from=2026-10-01&to=2026-10-05")[0] == 200


def test_kpi_reads_of_a_team_that_does_not_exist_are_404(world: World) -> None:
    for path in ("/v1/teams/nowhere/kpis", "/v1/teams/nowhere/leaderboard"):
        status, body = get(world, path)
        assert status == 404 and "no team nowhere" in str(body["detail"])
    world.live.ingest(call(1, 5))  # t1 has KPI data
    world.post("/v1/goals", {**GOAL, "agent_id": "b1", "team_id": "t2"}, status=201)  # t2: a goal
    world.live.project()
    for team in ("t1", "t2"):
        assert get(world, f"/v1/teams/{team}/kpis")[0] == 200
        assert get(world, f"/v1/teams/{team}/leaderboard")[0] == 200


def test_the_goal_roll_up_clamps_like_reviews_and_takes_a_period(world: World) -> None:
    tiny = world.post("/v1/goals", {**GOAL, "kpi": "manual", "target": 1}, status=201)["id"]
    world.post(f"/v1/goals/{tiny}/progress", {"value": 22.29, "as_of": "2026-10-10T10:00:00Z"})
    later = world.post(
        "/v1/goals",
        {**GOAL, "kpi": "manual", "period_start": "2026-11-01", "period_end": "2026-11-30"},
        status=201,
    )["id"]
    world.post(f"/v1/goals/{later}/progress", {"value": 2.0, "as_of": "2026-11-10T10:00:00Z"})
    world.live.project()
    status, october = get(world, "/v1/goals/rollup?team_id=t1&from=2026-10-01&to=2026-11-01")
    assert status == 200 and october["attainment"] == 1.5 and october["goals"] == 1
    assert get(world, "/v1/goals/rollup?team_id=t1")[1]["attainment"] == (1.5 + 0.5) / 2
    status, body = get(world, "/v1/goals/rollup?team_id=t1&from=2026-11-01&to=2026-10-01")
    assert status == 422 and body["errors"][0]["field"] == "from"


def test_the_new_commands_stay_within_the_callers_teams(world: World) -> None:
    outsider = token("manager", "eve")  # of t9
    goal_id = world.post("/v1/goals", GOAL, status=201)["id"]
    review_id = world.post("/v1/reviews", REVIEW, MANAGER, 201)["id"]
    problem(world, f"/v1/goals/{goal_id}/correct", {"value": 1.0, "reason": "r"}, outsider, 403)
    problem(world, f"/v1/reviews/{review_id}/cancel", {"reason": "r"}, outsider, 403)
    problem(world, f"/v1/reviews/{review_id}/cancel", {"reason": "mine"}, AGENT, 403)
    assert (
        world.client.post(
            f"/v1/goals/{goal_id}/correct", json={"value": 1.0, "reason": "r"}
        ).status_code
        == 401
    )
