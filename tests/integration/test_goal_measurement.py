"""Goal measurement that is right: new goals measured at once, overrides superseded, closed goals
corrected into reviews, unmeasured goals never dropped silently (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.progress import ACTOR
from tests.integration.goal_world import ADMIN, GOAL, MANAGER, World, call, open_world


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[World]:
    yield from open_world(tmp_path, database_url)


def test_a_goal_set_after_its_agents_data_is_measured_at_once(world: World) -> None:
    world.live.ingest(call(1, 5) + call(2, 4))
    assert world.manager.step() == 0  # the agent's KPIs moved, but there is no goal yet
    goal_id = world.post("/v1/goals", GOAL, status=201)["id"]
    draft_id = world.post("/v1/goals", {**GOAL, "draft": True}, status=201)["id"]
    assert (
        world.manager.step() == 1
    )  # no new call: the goal is measured over the data already there
    assert (
        world.goal(goal_id).latest_value == 4.5
        and (world.goal(goal_id).latest_progress or {})["actor"] == ACTOR
    )
    assert world.goal(draft_id).latest_value is None
    world.post(f"/v1/goals/{draft_id}/activate")
    assert world.manager.step() == 1  # activated: measured at once as well
    assert world.goal(draft_id).latest_value == 4.5
    assert world.manager.step() == 0  # and only once


def test_a_manual_value_on_a_kpi_goal_is_an_override_that_the_next_kpi_value_supersedes(
    world: World,
) -> None:
    goal_id = world.post("/v1/goals", GOAL, status=201)["id"]
    world.live.ingest(call(1, 5) + call(2, 4))
    assert world.manager.step() == 1
    answer = world.post(
        f"/v1/goals/{goal_id}/progress",
        {"value": 2.0, "as_of": "2026-10-30T18:00:00Z", "note": "survey vendor outage"},
    )
    assert answer["override"] is True and answer["attainment"] == 0.5
    world.live.project()
    doc = world.client.get(f"/v1/goals/{goal_id}", headers=ADMIN).json()
    assert (
        doc["latest_progress"]["source"] == "override"
        and doc["latest_progress"]["override"] is True
    )
    world.next_interval()
    assert world.manager.step() == 0  # the KPI has not moved: the override stands
    world.live.ingest(
        call(3, 3)
    )  # the KPI moves (to 4.0), with data older than the override's as_of
    assert world.manager.step() == 1
    goal = world.goal(goal_id)
    assert goal.latest_value == 4.0 and (goal.latest_progress or {})["source"] == "kpi:csat_avg"
    world.live.project()
    trail = [
        (e["type"], e["data"]["after"])
        for e in world.client.get(f"/v1/audit/{goal_id}/events", headers=ADMIN).json()[1:]
    ]
    assert trail == [
        ("Goal.ProgressRecorded", 4.5),
        ("Goal.ProgressOverridden", 2.0),
        ("Goal.ProgressRecorded", 4.0),
    ]


def review_of(world: World, goal_ids: list[str]) -> str:
    review_id = world.post(
        "/v1/reviews",
        {
            "agent_id": "a1",
            "team_id": "t1",
            "period_start": "2026-10-01",
            "period_end": "2026-10-31",
            "goal_ids": goal_ids,
            "criteria": ["quality"],
        },
        MANAGER,
        201,
    )["id"]
    world.post(
        f"/v1/reviews/{review_id}/scores",
        {"criterion": "quality", "score": 3, "rationale": "calls"},
        MANAGER,
    )
    return str(review_id)


def test_a_closed_goal_is_corrected_with_a_reason_and_reviews_show_it(world: World) -> None:
    goal_id = world.post("/v1/goals", GOAL, status=201)["id"]
    world.post(f"/v1/goals/{goal_id}/progress", {"value": 3.0, "as_of": "2026-10-30T18:00:00Z"})
    assert (
        world.post(f"/v1/goals/{goal_id}/close", {"as_of": "2026-11-01T08:00:00Z"})["status"]
        == "missed"
    )
    review_id = review_of(world, [goal_id])
    assert world.post(f"/v1/reviews/{review_id}/finalize", who=MANAGER)["overall_score"] == 2.75
    assert (
        world.client.post(
            f"/v1/goals/{goal_id}/correct", json={"value": 4.4, "reason": ""}, headers=MANAGER
        ).status_code
        == 422
    )
    corrected = world.post(
        f"/v1/goals/{goal_id}/correct",
        {"value": 4.4, "reason": "surveys of week 43 were credited to another agent"},
        MANAGER,
    )
    assert corrected["status"] == "achieved" and corrected["attainment"] == pytest.approx(1.1)
    world.live.project()
    doc = world.client.get(f"/v1/goals/{goal_id}", headers=ADMIN).json()
    assert doc["status"] == "achieved" and doc["closed"]["value"] == 4.4
    assert (
        doc["corrections"][0]["before_outcome"] == "missed"
        and doc["corrections"][0]["actor"] == "manager:bob"
    )
    changes = world.client.get(f"/v1/audit/reviews/{review_id}/score-changes", headers=ADMIN).json()
    assert [
        (c["kind"], c["before"], c["after"], c["actor"])
        for c in changes
        if c["kind"] == "goal_correction"
    ] == [("goal_correction", 3.0, 4.4, "manager:bob")]
    # The finalised review keeps its score until it is reopened; finalised again, it counts the
    # correction.
    review = world.client.get(f"/v1/reviews/{review_id}", headers=ADMIN).json()
    assert review["overall_score"] == 2.75
    world.post(f"/v1/reviews/{review_id}/reopen", {"reason": "goal corrected"}, MANAGER)
    assert world.post(f"/v1/reviews/{review_id}/finalize", who=MANAGER)["overall_score"] == 3.2


def test_an_unmeasured_goal_in_scope_refuses_finalisation_naming_it(world: World) -> None:
    measured = world.post("/v1/goals", GOAL, status=201)["id"]
    unmeasured = world.post("/v1/goals", {**GOAL, "kpi": "qa_avg", "target": 80}, status=201)["id"]
    world.post(f"/v1/goals/{measured}/progress", {"value": 4.0, "as_of": "2026-10-30T18:00:00Z"})
    review_id = review_of(world, [measured, unmeasured])
    refused = world.client.post(f"/v1/reviews/{review_id}/finalize", headers=MANAGER)
    assert (
        refused.status_code == 409 and refused.headers["content-type"] == "application/problem+json"
    )
    assert (
        refused.json()["ids"]["goal_ids"] == [unmeasured] and unmeasured in refused.json()["detail"]
    )
    world.post(f"/v1/goals/{unmeasured}/cancel", {"reason": "QA paused this quarter"}, MANAGER)
    assert world.post(f"/v1/reviews/{review_id}/finalize", who=MANAGER)["overall_score"] == 3.0
