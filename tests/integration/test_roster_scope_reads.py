"""Every read route, for every kind of caller, against the roster of a two-site centre: single
records answer 200 or 403 (404 only when there is no such record, for anyone), lists keep to
the caller's scope, an agent sees their own records and their team's figures and rank (SQLite;
read models projected in-process)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.sql.kpi_view import KpiView
from tests.integration.scope_world import CALLERS, Centre
from tests.support import Pipeline, make_settings

EVERYONE = set(CALLERS) - {"ingest:pbx", "manager:ghost"}
CENTRE_READERS = {"root", "admin:ops", "ann", "auditor:ext", "dir-centre"}
EAST_STAFF = CENTRE_READERS | {"dir-paris", "lead-east"}
EAST_READERS = EAST_STAFF | {"agent-east"}  # a record of agent-east (team-east)
NORTH_READERS = CENTRE_READERS | {"lead-north"}  # a record of agent-north (team-north)
EAST_FIGURES = EAST_STAFF | {"agent-east", "agent-east-2"}  # team-east's KPIs and leaderboard
ADMINS_ = {"root", "admin:ops"}
AUDIT = ADMINS_ | {"ann", "auditor:ext"}
TELEPHONY = AUDIT | {"ingest:pbx"}
PUBLIC = {"/healthz", "/readyz", "/metrics", "/v1/auth/config"}  # no token at all

# (path as the API declares it, the request's path (ids from the world), callers answered
# 200 — or `found` — the others 403)
READS: list[tuple[str, str, set[str]]] = [
    ("/v1/goals/{goal_id}", "/v1/goals/{east_goal}", EAST_READERS),
    ("/v1/goals/{goal_id}", "/v1/goals/{north_goal}", NORTH_READERS),
    ("/v1/goals/{goal_id}", "/v1/goals/{mover_goal}", EAST_STAFF | {"lead-west"}),
    ("/v1/development-plans/{plan_id}", "/v1/development-plans/{east_plan}", EAST_READERS),
    ("/v1/development-plans/{plan_id}", "/v1/development-plans/{north_plan}", NORTH_READERS),
    ("/v1/development-plans", "/v1/development-plans", EVERYONE),
    ("/v1/check-ins/{check_in_id}", "/v1/check-ins/{east_check_in}", EAST_READERS),
    ("/v1/check-ins/{check_in_id}", "/v1/check-ins/{north_check_in}", NORTH_READERS),
    ("/v1/reviews/{review_id}", "/v1/reviews/{east_review}", EAST_READERS),
    ("/v1/reviews/{review_id}", "/v1/reviews/{north_review}", NORTH_READERS),
    ("/v1/alerts/{alert_id}", "/v1/alerts/{east_alert}", EAST_READERS),
    ("/v1/alerts/{alert_id}", "/v1/alerts/{north_alert}", NORTH_READERS),
    ("/v1/audit/{aggregate_id}/events", "/v1/audit/{east_goal}/events", EAST_READERS),
    ("/v1/audit/{aggregate_id}/events", "/v1/audit/{north_review}/events", NORTH_READERS),
    ("/v1/audit/{aggregate_id}/state", "/v1/audit/{east_goal}/state?version=1", EAST_READERS),
    (
        "/v1/audit/{aggregate_id}/state",
        "/v1/audit/{north_check_in}/state?version=1",
        NORTH_READERS,
    ),
    (
        "/v1/audit/reviews/{review_id}/score-changes",
        "/v1/audit/reviews/{east_review}/score-changes",
        EAST_READERS,
    ),
    (
        "/v1/goals/{goal_id}/progress/{n}/explain",
        "/v1/goals/{east_goal}/progress/1/explain",
        EAST_READERS,
    ),
    ("/v1/reviews/{review_id}/explain", "/v1/reviews/{north_review}/explain", NORTH_READERS),
    ("/v1/goal-templates/{template_id}", "/v1/goal-templates/{east_template}", EAST_STAFF),
    (
        "/v1/goal-templates/{template_id}",
        "/v1/goal-templates/{north_template}",
        CENTRE_READERS | {"lead-north"},
    ),
    ("/v1/goals/rollup", "/v1/goals/rollup?team_id=team-east", EAST_STAFF),
    ("/v1/goals/rollup", "/v1/goals/rollup?team_id=team-north", CENTRE_READERS | {"lead-north"}),
    ("/v1/teams/{team_id}/alert-rules", "/v1/teams/team-east/alert-rules", EAST_STAFF),
    ("/v1/teams/{team_id}/kpis", "/v1/teams/team-east/kpis", EAST_FIGURES),
    ("/v1/teams/{team_id}/kpis", "/v1/teams/team-north/kpis", CENTRE_READERS | {"lead-north"}),
    ("/v1/teams/{team_id}/leaderboard", "/v1/teams/team-east/leaderboard", EAST_FIGURES),
    (
        "/v1/teams/{team_id}/leaderboard",
        "/v1/teams/team-west/leaderboard",
        CENTRE_READERS | {"dir-paris", "lead-west"},
    ),
    ("/v1/agents/{agent_id}/kpis", "/v1/agents/agent-east/kpis", EAST_READERS),
    (
        "/v1/agents/{agent_id}/kpis",
        "/v1/agents/agent-mover/kpis",
        CENTRE_READERS | {"dir-paris", "lead-west"},
    ),
    ("/v1/goals", "/v1/goals", EVERYONE),
    ("/v1/check-ins", "/v1/check-ins", EVERYONE),
    ("/v1/reviews", "/v1/reviews", EVERYONE),
    ("/v1/alerts", "/v1/alerts", EVERYONE),
    ("/v1/teams", "/v1/teams", EVERYONE),
    ("/v1/kpis", "/v1/kpis", EVERYONE | {"ingest:pbx"}),
    ("/v1/me", "/v1/me", EVERYONE | {"ingest:pbx"}),
    ("/v1/review-templates/{policy_id}", "/v1/review-templates/read-policy", EVERYONE),
    ("/v1/audit/verify", "/v1/audit/verify", AUDIT),
    ("/v1/tokens/revocations", "/v1/tokens/revocations", {"root", "admin:ops"}),
    # Subscriptions are for those who may subscribe (the notifications' rule: not auditors).
    (
        "/v1/subscriptions",
        "/v1/subscriptions",
        ADMINS_ | {"dir-centre", "dir-paris", "lead-east", "lead-west", "lead-north"},
    ),
    (
        "/v1/subscriptions/{subscription_id}",
        "/v1/subscriptions/{east_subscription}",
        ADMINS_ | {"dir-centre", "dir-paris", "lead-east"},
    ),
    (
        "/v1/subscriptions/{subscription_id}/deliveries",
        "/v1/subscriptions/{east_subscription}/deliveries",
        ADMINS_,
    ),
    # Who is who: everyone signed in sees the teams and sites; people as the roster's rules say
    # (directors see everyone's name, managers the agents of their teams, everyone themselves).
    ("/v1/roster/export", "/v1/roster/export?file=people", {"root", "admin:ops"}),
    ("/v1/roster/people", "/v1/roster/people", EVERYONE),
    ("/v1/roster/people/{person_id}", "/v1/roster/people/agent-east", EAST_READERS),
    (
        "/v1/roster/people/{person_id}",
        "/v1/roster/people/agent-north",
        CENTRE_READERS | {"dir-paris", "lead-north"},
    ),
    ("/v1/roster/teams", "/v1/roster/teams", EVERYONE),
    ("/v1/roster/teams/{team_id}", "/v1/roster/teams/team-east", EVERYONE),
    ("/v1/roster/sites", "/v1/roster/sites", EVERYONE),
    ("/v1/admin/parked", "/v1/admin/parked", AUDIT),
    ("/v1/telephony/deliveries", "/v1/telephony/deliveries?day=2026-08-03", TELEPHONY),
    ("/v1/telephony/mismatches", "/v1/telephony/mismatches", AUDIT),
    (
        "/v1/telephony/team-mismatches",
        "/v1/telephony/team-mismatches?team_id=team-east",
        EAST_STAFF,
    ),
    ("/v1/telephony/team-mismatches", "/v1/telephony/team-mismatches", AUDIT),
    # No such event: whoever may look is told so (404), the others are refused first.
    (
        "/v1/telephony/events/{event_id}/corrections",
        "/v1/telephony/events/00000000-0000-4000-8000-000000000001/corrections",
        TELEPHONY,
    ),
]
FOUND = {"/v1/telephony/events/{event_id}/corrections": 404}


def calls(agent: str, team: str, talk: int) -> list[dict[str, Any]]:
    return [
        {
            "event_id": f"{agent}-{n}",
            "type": "call.completed",
            "agent_id": agent,
            "team_id": team,
            "occurred_at": datetime(2026, 8, 3, 9, n, tzinfo=UTC),
            "call_id": f"{agent}-call-{n}",
            "talk_seconds": talk,
            "hold_seconds": 0,
            "acw_seconds": 0,
            "transferred": False,
            "resolved_first_contact": True,
            "schema_version": 1,
        }
        for n in range(3)
    ]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Centre, dict[str, str]]]:
    """One of each record for agent-east and agent-north, the mover's goal of before the move,
    and some calls of team-east and team-west, projected."""
    tmp = tmp_path_factory.mktemp("scope-reads")
    pipeline = Pipeline(make_settings(tmp, f"sqlite:///{tmp / 'r.db'}", None))
    try:
        centre = Centre(pipeline)
        ids: dict[str, str] = {"mover_goal": centre.old_goal_of_the_mover()}
        for agent, name in (("agent-east", "east"), ("agent-north", "north")):
            goal = centre.goal(agent, kpi="manual", direction="at_least")
            progress = {"value": 3, "as_of": "2026-08-01T00:00:00+00:00"}
            centre.post(f"/v1/goals/{goal}/progress", progress)
            ids |= {
                f"{name}_goal": goal,
                f"{name}_check_in": centre.check_in(agent),
                f"{name}_review": centre.finalised_review(agent),
                f"{name}_alert": centre.alert(agent),
                f"{name}_template": centre.template(centre_team(agent)),
                f"{name}_plan": centre.plan(agent),
            }
        ids["east_subscription"] = centre.subscription("team-east")
        policy = {"policy_id": "read-policy", "criteria": ["quality"], "goal_weight": 0.5}
        centre.post("/v1/review-templates", policy)
        with pipeline.container.db.transaction() as cur:
            for agent, team, talk in (
                ("agent-east", "team-east", 300),
                ("agent-east-2", "team-east", 200),
                ("agent-west", "team-west", 250),
                ("agent-mover", "team-west", 100),
            ):
                KpiView().apply_events(cur, calls(agent, team, talk))
        centre.project()
        yield centre, ids
    finally:
        pipeline.close()


def centre_team(agent: str) -> str:
    return {"agent-east": "team-east", "agent-north": "team-north"}[agent]


CASES = [
    pytest.param(declared, path, caller, caller in allowed, id=f"{path} by {caller}")
    for declared, path, allowed in READS
    for caller in CALLERS
]


@pytest.mark.parametrize(("declared", "path", "caller", "allowed"), CASES)
def test_each_read_route_answers_exactly_the_callers_whose_scope_covers_it(
    world: tuple[Centre, dict[str, str]], declared: str, path: str, caller: str, allowed: bool
) -> None:
    centre, ids = world
    response = centre.call("GET", path.format(**ids), None, caller)
    if allowed:
        assert response.status_code == FOUND.get(declared, 200), response.text
    else:
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == "application/problem+json"


def visible(centre: Centre, path: str, caller: str, key: str = "agent_id") -> set[str]:
    response = centre.call("GET", path, None, caller)
    assert response.status_code == 200, response.text
    return {item[key] for item in response.json()["items"]}


GOAL_LISTS = [
    ("root", None, {"agent-east", "agent-north", "agent-mover"}),
    ("ann", None, {"agent-east", "agent-north", "agent-mover"}),
    ("dir-centre", None, {"agent-east", "agent-north", "agent-mover"}),
    ("dir-paris", None, {"agent-east", "agent-mover"}),
    ("lead-east", None, {"agent-east", "agent-mover"}),  # the mover's goal was kept for east
    ("lead-west", None, set()),
    ("lead-west", "agent-mover", {"agent-mover"}),  # all records of an agent of theirs now
    ("lead-north", None, {"agent-north"}),
    ("lead-north", "agent-east", set()),
    ("agent-east", None, {"agent-east"}),
    ("agent-east", "agent-north", {"agent-east"}),  # an agent's list is their own, always
    ("agent-east-2", None, set()),
]


@pytest.mark.parametrize(("caller", "agent", "expected"), GOAL_LISTS)
def test_goal_lists_keep_to_the_caller_s_teams_sites_or_own_records(
    world: tuple[Centre, dict[str, str]], caller: str, agent: str | None, expected: set[str]
) -> None:
    centre, _ = world
    path = "/v1/goals" if agent is None else f"/v1/goals?agent_id={agent}"
    assert visible(centre, path, caller) == expected


@pytest.mark.parametrize("kind", ["check-ins", "reviews", "alerts"])
def test_other_lists_keep_to_the_same_scope(
    world: tuple[Centre, dict[str, str]], kind: str
) -> None:
    centre, _ = world
    path = f"/v1/{kind}"
    assert visible(centre, path, "ann") == {"agent-east", "agent-north"}
    assert visible(centre, path, "dir-paris") == {"agent-east"}
    assert visible(centre, path, "lead-north") == {"agent-north"}
    assert visible(centre, path, "lead-west") == set()
    assert visible(centre, path, "agent-east") == {"agent-east"}


def test_the_team_list_is_cut_to_what_the_caller_reads(
    world: tuple[Centre, dict[str, str]],
) -> None:
    centre, _ = world
    every = visible(centre, "/v1/teams", "ann", "team_id")
    assert {"team-east", "team-west", "team-north"} <= every
    assert visible(centre, "/v1/teams", "dir-paris", "team_id") == {"team-east", "team-west"}
    assert visible(centre, "/v1/teams", "lead-north", "team_id") == {"team-north"}
    assert visible(centre, "/v1/teams", "agent-east", "team_id") == {"team-east"}


def test_an_agent_sees_their_own_line_of_the_leaderboard_and_how_many_are_ranked(
    world: tuple[Centre, dict[str, str]],
) -> None:
    centre, _ = world
    path = "/v1/teams/team-east/leaderboard?kpi=aht_seconds"
    full = centre.call("GET", path, None, "lead-east").json()
    assert [row["agent_id"] for row in full["rows"]] == ["agent-east-2", "agent-east"]
    own = centre.call("GET", path, None, "agent-east").json()
    assert [(row["rank"], row["agent_id"]) for row in own["rows"]] == [(2, "agent-east")]
    assert own["ranked"] == 2 and own["next_cursor"] is None
    team = centre.call("GET", "/v1/teams/team-east/kpis?bucket=day", None, "agent-east").json()
    assert team["rows"][0]["calls_handled"] == 6  # the team's total, not the agent's 3


def test_every_read_route_has_its_scope_cases(world: tuple[Centre, dict[str, str]]) -> None:
    centre, _ = world
    declared = {
        path
        for path, operations in centre.client.app.openapi()["paths"].items()
        if "get" in operations
    }
    assert declared == {path for path, *_ in READS} | PUBLIC
    for path in PUBLIC:
        assert centre.client.get(path).status_code == 200, path
