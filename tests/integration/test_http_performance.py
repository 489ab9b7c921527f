"""Check-in, review, template and goal-progress commands over HTTP: roles, 422s, 409s (SQLite)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.rosters import TEAMS_AB, plus_agents
from tests.support import seed_roster, token

ADMIN = token("admin", "alice")
MANAGER = token("manager", "bob")  # of team-a (tests.rosters.TEAMS_AB)
IF_MATCH_1: dict[str, Any] = {"If-Match": "1"}  # a header name that is no Python identifier
OTHER_MANAGER = token("manager", "eve")
AGENT = token("agent", "agent-1")
OTHER_AGENT = token("agent", "agent-2")
AUDITOR = token("auditor", "ann")
INGEST = token("ingest", "pbx")


@pytest.fixture(autouse=True)
def roster(client: Any) -> None:
    seed_roster(client, *TEAMS_AB)


GOAL = {
    "agent_id": "agent-1",
    "team_id": "team-a",
    "title": "AHT",
    "kpi": "aht_seconds",
    "target": 300,
    "direction": "at_most",
    "period_start": "2026-07-01",
    "period_end": "2026-09-30",
    "weight": 1,
}
CHECK_IN = {
    "agent_id": "agent-1",
    "team_id": "team-a",
    "held_at": "2026-08-03T10:00:00+02:00",
    "notes": "Q3 1:1",
    "goal_ids": [],
    "feedback": [
        {
            "kind": "constructive",
            "behavior": "Long holds",
            "impact": "AHT up",
            "outcome": "Use the knowledge base",
        }
    ],
    "action_items": [
        {"description": "Shadow a senior", "owner_id": "agent-1", "due": "2026-08-20"}
    ],
}
REVIEW = {
    "agent_id": "agent-1",
    "team_id": "team-a",
    "period_start": "2026-07-01",
    "period_end": "2026-09-30",
    "goal_ids": [],
    "criteria": ["quality"],
}
SCORE = {"criterion": "quality", "score": 4, "rationale": "Few QA errors"}


def post(
    client: Any,
    path: str,
    body: Any = None,
    who: dict[str, str] = ADMIN,
    status: int = 200,
    **headers: str,
) -> Any:
    response = client.post(path, json={} if body is None else body, headers={**who, **headers})
    assert response.status_code == status, response.text
    return response.json()


def new_review(client: Any) -> str:
    return str(post(client, "/v1/reviews", REVIEW, MANAGER, 201)["id"])


def finalised_review(client: Any) -> str:
    review_id = new_review(client)
    post(client, f"/v1/reviews/{review_id}/scores", SCORE, MANAGER)
    post(client, f"/v1/reviews/{review_id}/finalize", who=MANAGER)
    return review_id


def writes(client: Any) -> list[tuple[str, dict[str, Any]]]:
    """Every team-scoped write of this issue, on records of team-a."""
    goal_id = post(client, "/v1/goals", GOAL, ADMIN, 201)["id"]
    check_in_id = post(client, "/v1/check-ins", CHECK_IN, ADMIN, 201)["id"]
    review_id = finalised_review(client)
    template = {k: v for k, v in GOAL.items() if k != "agent_id"}
    template_id = post(client, "/v1/goal-templates", template, ADMIN, 201)["id"]
    return [
        ("/v1/check-ins", CHECK_IN),
        ("/v1/reviews", REVIEW),
        ("/v1/goal-templates", template),
        (f"/v1/goal-templates/{template_id}/assign", {"agent_ids": ["agent-1"]}),
        (f"/v1/goals/{goal_id}/progress", {"value": 310, "as_of": "2026-08-01T00:00:00Z"}),
        (f"/v1/goals/{goal_id}/close", {}),
        (f"/v1/check-ins/{check_in_id}/action-items/1/complete", {}),
        (f"/v1/reviews/{review_id}/reopen", {"reason": "new evidence"}),
        (f"/v1/reviews/{review_id}/disputes/0/uphold", {"reason": "stands"}),
        (f"/v1/reviews/{review_id}/scores", SCORE),
        (
            f"/v1/reviews/{review_id}/feedback",
            {"source": "peer", "author_id": "p1", "text": "t", "rating": 4},
        ),
        (f"/v1/reviews/{review_id}/calibrate", {"adjustment": 0.5, "reason": "panel"}),
        (f"/v1/reviews/{review_id}/finalize", {}),
    ]


def test_every_command_needs_a_token(client: Any) -> None:
    for path, body in writes(client):
        assert client.post(path, json=body).status_code == 401, path


@pytest.mark.parametrize(
    "who",
    [OTHER_MANAGER, AGENT, AUDITOR, INGEST],
    ids=["other-team-manager", "agent", "auditor", "ingest"],
)
def test_only_admins_and_the_teams_managers_write(client: Any, who: dict[str, str]) -> None:
    for path, body in writes(client):
        assert client.post(path, json=body, headers=who).status_code == 403, path


def test_only_admins_publish_review_templates(client: Any) -> None:
    body = {"policy_id": "agents", "criteria": ["quality"], "goal_weight": 0.5}
    for who in (MANAGER, AGENT, AUDITOR, INGEST):
        assert client.post("/v1/review-templates", json=body, headers=who).status_code == 403
    assert post(client, "/v1/review-templates", body, ADMIN, 201)["policy_version"] == 1


@pytest.mark.parametrize(
    "who",
    [ADMIN, MANAGER, OTHER_AGENT, AUDITOR, INGEST],
    ids=["admin", "manager", "other-agent", "auditor", "ingest"],
)
def test_only_the_agent_acknowledges_and_disputes_their_review(
    client: Any, who: dict[str, str]
) -> None:
    review_id = finalised_review(client)
    for action, body in (("acknowledge", {}), ("disputes", {"reason": "unfair"})):
        response = client.post(f"/v1/reviews/{review_id}/{action}", json=body, headers=who)
        assert response.status_code == 403, action


def test_the_agent_acknowledges_and_disputes_their_own_review(client: Any) -> None:
    review_id = finalised_review(client)
    post(client, f"/v1/reviews/{review_id}/acknowledge", who=AGENT)
    post(
        client,
        f"/v1/reviews/{review_id}/disputes",
        {"reason": "QA sample", "criterion": "quality"},
        AGENT,
    )
    uphold = post(
        client, f"/v1/reviews/{review_id}/disputes/0/uphold", {"reason": "sample is fair"}, MANAGER
    )
    assert uphold["version"] == 6


def test_a_finalised_review_refuses_changes_until_reopened(client: Any) -> None:
    review_id = finalised_review(client)
    rescore = {**SCORE, "score": 3, "reason": "second look"}
    response = client.post(f"/v1/reviews/{review_id}/scores", json=rescore, headers=MANAGER)
    assert response.status_code == 409 and "reopen" in response.json()["detail"]
    post(client, f"/v1/reviews/{review_id}/reopen", {"reason": "new QA evidence"}, MANAGER)
    post(client, f"/v1/reviews/{review_id}/scores", rescore, MANAGER)


def test_a_stale_if_match_on_a_review_is_409(client: Any) -> None:
    review_id = new_review(client)
    post(client, f"/v1/reviews/{review_id}/scores", SCORE, MANAGER, **IF_MATCH_1)
    response = client.post(
        f"/v1/reviews/{review_id}/scores",
        json={**SCORE, "reason": "r"},
        headers={**MANAGER, "If-Match": "1"},
    )
    assert response.status_code == 409


@pytest.mark.parametrize(
    "path, change, field",
    [
        ("/v1/check-ins", {"held_at": "2026-08-03T10:00:00"}, "held_at"),
        (
            "/v1/check-ins",
            {"feedback": [{"kind": "positive", "behavior": "b", "impact": "i"}]},
            "feedback.0.outcome",
        ),
        (
            "/v1/check-ins",
            {"feedback": [{"kind": "praise", "behavior": "b", "impact": "i", "outcome": "o"}]},
            "feedback.0.kind",
        ),
        (
            "/v1/check-ins",
            {"action_items": [{"description": "d", "owner_id": "o", "due": "2026-08-01"}]},
            "action_items[0].due",
        ),
        ("/v1/reviews", {"criteria": None}, "body"),
        ("/v1/reviews", {"criteria": ["q", "q"]}, "policy.criteria"),
        ("/v1/reviews", {"goal_ids": ["5b0c2a0e-8f1c-4c62-9c7e-3f8f9b1a2d44"]}, "goal_ids[0]"),
    ],
)
def test_invalid_bodies_are_422_naming_the_field(
    client: Any, path: str, change: dict[str, Any], field: str
) -> None:
    body = {**(CHECK_IN if path == "/v1/check-ins" else REVIEW), **change}
    response = client.post(path, json=body, headers=ADMIN)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert all(e["reason"] for e in response.json()["errors"])


@pytest.mark.parametrize(
    "route, body, field",
    [
        ("scores", {**SCORE, "score": 6}, "score"),
        ("scores", {**SCORE, "criterion": "speed"}, "criterion"),
        ("feedback", {"source": "boss", "author_id": "b", "text": "t", "rating": 3}, "source"),
        (
            "feedback",
            {"source": "peer", "author_id": "agent-1", "text": "t", "rating": 3},
            "author_id",
        ),
        ("calibrate", {"adjustment": 2, "reason": "panel"}, "adjustment"),
        ("reopen", {}, "reason"),
    ],
)
def test_invalid_review_commands_are_422_naming_the_field(
    client: Any, route: str, body: Any, field: str
) -> None:
    review_id = new_review(client)
    response = client.post(f"/v1/reviews/{review_id}/{route}", json=body, headers=MANAGER)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]


def test_changing_a_score_without_a_reason_is_422_naming_reason(client: Any) -> None:
    review_id = new_review(client)
    post(client, f"/v1/reviews/{review_id}/scores", SCORE, MANAGER)
    response = client.post(
        f"/v1/reviews/{review_id}/scores", json={**SCORE, "score": 2}, headers=MANAGER
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "reason"


def test_progress_outside_the_period_and_early_close_are_422_naming_as_of(client: Any) -> None:
    goal_id = post(client, "/v1/goals", GOAL, ADMIN, 201)["id"]
    for route, body in (
        ("progress", {"value": 1, "as_of": "2026-10-02T00:00:00Z"}),
        ("close", {"as_of": "2026-09-30T12:00:00Z"}),
        ("close", {"as_of": "2999-01-01T00:00:00Z"}),
    ):
        response = client.post(f"/v1/goals/{goal_id}/{route}", json=body, headers=MANAGER)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "as_of"


def test_progress_and_close_over_http(client: Any) -> None:
    goal_id = post(client, "/v1/goals", GOAL, ADMIN, 201)["id"]
    done = post(
        client,
        f"/v1/goals/{goal_id}/progress",
        {"value": 240, "as_of": "2026-09-01T00:00:00Z"},
        MANAGER,
        **IF_MATCH_1,
    )
    assert done["attainment"] == 1.25 and done["version"] == 2
    assert (
        post(client, f"/v1/goals/{goal_id}/close", {"as_of": "2026-10-01T08:00:00Z"}, MANAGER)[
            "status"
        ]
        == "achieved"
    )


def test_action_item_numbers_start_at_one(client: Any) -> None:
    check_in_id = post(client, "/v1/check-ins", CHECK_IN, MANAGER, 201)["id"]
    for n in (0, 2):
        response = client.post(
            f"/v1/check-ins/{check_in_id}/action-items/{n}/complete", headers=MANAGER
        )
        assert response.status_code == 422
    post(client, f"/v1/check-ins/{check_in_id}/action-items/1/complete", who=MANAGER)
    again = client.post(f"/v1/check-ins/{check_in_id}/action-items/1/complete", headers=MANAGER)
    assert again.status_code == 409


def test_bulk_assignment_answers_with_every_agents_goal(client: Any) -> None:
    template = {k: v for k, v in GOAL.items() if k != "agent_id"}
    template_id = post(client, "/v1/goal-templates", template, MANAGER, 201)["id"]
    agents = [f"member-{n}" for n in range(250)]
    seed_roster(client, *plus_agents(TEAMS_AB, "team-a", *agents))
    done = post(client, f"/v1/goal-templates/{template_id}/assign", {"agent_ids": agents}, MANAGER)
    assert sorted(done["goals"]) == sorted(agents) and done["version"] == 2
    response = client.post(
        f"/v1/goal-templates/{template_id}/assign", json={"agent_ids": ["x", "x"]}, headers=MANAGER
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "agent_ids"
