"""Every write route, for every kind of caller, against the roster of a two-site centre: who may
write is decided by the roster at the moment of the action (SQLite; commands only).

Each case makes its own records first (as the roster's admin), so a case that is allowed must
succeed (2xx) and one that is refused must answer 403 with a problem body.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.integration.scope_world import (
    CALLERS,
    Centre,
    Upload,
    check_in_body,
    goal_body,
    headers,
    plan_body,
    subscription_body,
    template_body,
)
from tests.rosters import CENTRE_PEOPLE, CENTRE_TEAMS
from tests.support import Pipeline, make_settings, seed_roster

ADMINS = {"root", "admin:ops"}
EAST_WRITERS = ADMINS | {"lead-east"}  # may change records of agent-east (team-east)
EAST_GOAL_SETTERS = EAST_WRITERS | {"dir-paris", "dir-centre"}  # team goals (templates)
# Prepares a case: the path and body of the request, for an agent (or a team) of the centre.
Prepare = Callable[[Centre, str], tuple[str, Any]]
POLICIES = itertools.count()


def on(make: Callable[[Centre, str], str], path: str, body: Any = None) -> Prepare:
    """A command on a fresh record of the agent, made by `make`."""
    return lambda centre, agent: (path.format(id=make(centre, agent)), body or {})


def new(path: str, body: Callable[[str], Any]) -> Prepare:
    return lambda _centre, target: (path, body(target))


def assign(centre: Centre, team: str) -> tuple[str, Any]:
    agent = {"team-east": "agent-east", "team-north": "agent-north"}[team]
    return f"/v1/goal-templates/{centre.template(team)}/assign", {"agent_ids": [agent]}


def policy(_centre: Centre, _target: str) -> tuple[str, Any]:
    body = {"policy_id": f"p{next(POLICIES)}", "criteria": ["quality"], "goal_weight": 0.5}
    return "/v1/review-templates", body


# (method, path as the API declares it, prepare, target, callers allowed: all others get 403)
WRITES: list[tuple[str, str, Prepare, str, set[str]]] = [
    ("POST", "/v1/goals", new("/v1/goals", goal_body), "agent-east", EAST_WRITERS),
    *[
        (
            "POST",
            f"/v1/goals/{{goal_id}}/{name}",
            on(lambda c, a: c.goal(a), f"/v1/goals/{{id}}/{name}", body),
            "agent-east",
            EAST_WRITERS,
        )
        for name, body in (
            ("revise-target", {"target": 280, "reason": "new baseline"}),
            ("cancel", {"reason": "duplicate"}),
            ("progress", {"value": 290, "as_of": "2026-08-01T00:00:00+00:00"}),
            ("close", {}),
        )
    ],
    (
        "POST",
        "/v1/goals/{goal_id}/activate",
        on(lambda c, a: c.goal(a, draft=True), "/v1/goals/{id}/activate"),
        "agent-east",
        EAST_WRITERS,
    ),
    (
        "POST",
        "/v1/goals/{goal_id}/correct",
        on(Centre.closed_goal, "/v1/goals/{id}/correct", {"value": 270, "reason": "recount"}),
        "agent-east",
        EAST_WRITERS,
    ),
    ("POST", "/v1/check-ins", new("/v1/check-ins", check_in_body), "agent-east", EAST_WRITERS),
    (
        "POST",
        "/v1/check-ins/{check_in_id}/action-items/{n}/complete",
        on(Centre.check_in, "/v1/check-ins/{id}/action-items/1/complete"),
        "agent-east",
        EAST_WRITERS,
    ),
    (
        "POST",
        "/v1/reviews",
        lambda centre, agent: ("/v1/reviews", centre.review_body(agent)),
        "agent-east",
        EAST_WRITERS,
    ),
    *[
        (
            "POST",
            f"/v1/reviews/{{review_id}}/{name}",
            on(make, f"/v1/reviews/{{id}}/{name}", body),
            "agent-east",
            EAST_WRITERS,
        )
        for name, make, body in (
            ("scores", Centre.review, {"criterion": "quality", "score": 4, "rationale": "ok"}),
            (
                "feedback",
                Centre.review,
                {"source": "peer", "author_id": "agent-east-2", "text": "kind", "rating": 4},
            ),
            ("calibrate", Centre.review, {"adjustment": 0.5, "reason": "panel"}),
            ("finalize", Centre.scored_review, {}),
            ("reopen", Centre.finalised_review, {"reason": "new evidence"}),
            ("cancel", Centre.review, {"reason": "wrong period"}),
        )
    ],
    (
        "POST",
        "/v1/reviews/{review_id}/disputes/{index}/uphold",
        on(Centre.disputed_review, "/v1/reviews/{id}/disputes/0/uphold", {"reason": "stands"}),
        "agent-east",
        EAST_WRITERS,
    ),
    # Only the agent concerned acknowledges or disputes their review.
    (
        "POST",
        "/v1/reviews/{review_id}/acknowledge",
        on(Centre.finalised_review, "/v1/reviews/{id}/acknowledge"),
        "agent-east",
        {"agent-east"},
    ),
    (
        "POST",
        "/v1/reviews/{review_id}/disputes",
        on(Centre.finalised_review, "/v1/reviews/{id}/disputes", {"reason": "too low"}),
        "agent-east",
        {"agent-east"},
    ),
    # Team goals: also the directors of the team's site (Paris) or of the centre.
    (
        "POST",
        "/v1/goal-templates",
        new("/v1/goal-templates", template_body),
        "team-east",
        EAST_GOAL_SETTERS,
    ),
    (
        "POST",
        "/v1/goal-templates",
        new("/v1/goal-templates", template_body),
        "team-north",
        ADMINS | {"lead-north", "dir-centre"},
    ),
    ("POST", "/v1/goal-templates/{template_id}/assign", assign, "team-east", EAST_GOAL_SETTERS),
    (
        "POST",
        "/v1/goal-templates/{template_id}/assign",
        assign,
        "team-north",
        ADMINS | {"lead-north", "dir-centre"},
    ),
    ("POST", "/v1/review-templates", policy, "-", ADMINS),
    (
        "POST",
        "/v1/alerts/{alert_id}/check-in",
        on(Centre.alert, "/v1/alerts/{id}/check-in"),
        "agent-east",
        EAST_WRITERS,
    ),
    (
        "POST",
        "/v1/alerts/{alert_id}/dismiss",
        on(Centre.alert, "/v1/alerts/{id}/dismiss", {"reason": "outage"}),
        "agent-east",
        EAST_WRITERS,
    ),
    (
        "PUT",
        "/v1/teams/{team_id}/alert-rules",
        lambda _c, team: (f"/v1/teams/{team}/alert-rules", {"rules": []}),
        "team-east",
        EAST_WRITERS,
    ),
    # Development plans: the agent's managers; the agent on their own actions and notes.
    (
        "POST",
        "/v1/development-plans",
        new("/v1/development-plans", plan_body),
        "agent-east",
        EAST_WRITERS,
    ),
    *[
        (
            "POST",
            f"/v1/development-plans/{{plan_id}}{tail}",
            on(Centre.plan, f"/v1/development-plans/{{id}}{concrete or tail}", body),
            "agent-east",
            allowed,
        )
        for tail, concrete, body, allowed in (
            ("/objectives", None, {"title": "Calmer calls"}, EAST_WRITERS),
            (
                "/actions",
                None,
                {
                    "kind": "reading",
                    "description": "A book",
                    "owner_id": "agent-east",
                    "due": "2026-08-21",
                },
                EAST_WRITERS,
            ),
            (
                "/actions/{n}/complete",
                "/actions/1/complete",
                {"note": "done"},
                EAST_WRITERS | {"agent-east"},
            ),
            ("/actions/{n}/cancel", "/actions/2/cancel", {"reason": "no"}, EAST_WRITERS),
            ("/notes", None, {"text": "Calmer"}, EAST_WRITERS | {"agent-east"}),
            ("/close", None, {"outcome": "achieved", "summary": "ok"}, EAST_WRITERS),
        )
    ],
    # Notifications of a team: its managers, its site's director, admins.
    (
        "POST",
        "/v1/subscriptions",
        new("/v1/subscriptions", subscription_body),
        "team-east",
        EAST_GOAL_SETTERS,
    ),
    *[
        (
            method,
            f"/v1/subscriptions/{{subscription_id}}{tail}",
            on(Centre.subscription, f"/v1/subscriptions/{{id}}{concrete or tail}", body),
            "team-east",
            allowed,
        )
        for method, tail, concrete, body, allowed in (
            ("PUT", "", None, {"kinds": ["alert.raised"], "email": "leads@example.com"}, None),
            ("POST", "/rotate-secret", None, {}, None),
            ("POST", "/remove", None, {}, None),
            ("POST", "/dead-letters/replay", None, {}, ADMINS),
            (
                "POST",
                "/dead-letters/{delivery_id}/replay",
                "/dead-letters/no-such-delivery/replay",
                {},
                ADMINS,
            ),
        )
        for allowed in [EAST_GOAL_SETTERS if allowed is None else allowed]
    ],
    (
        "POST",
        "/v1/tokens/revocations",
        lambda _c, _t: ("/v1/tokens/revocations", {"subject": "left-2026", "reason": "left"}),
        "-",
        ADMINS,
    ),
    # Importing the same files again changes nothing, and only admins may.
    (
        "POST",
        "/v1/roster/import",
        lambda _c, _t: ("/v1/roster/import", Upload(teams=CENTRE_TEAMS, people=CENTRE_PEOPLE)),
        "-",
        ADMINS,
    ),
    (
        "POST",
        "/v1/telephony/events",
        lambda _c, _t: ("/v1/telephony/events", []),
        "-",
        ADMINS | {"ingest:pbx"},
    ),
]
# The writes that name an agent: the mid-quarter move decides who may make them now.
AGENT_WRITES = [w for w in WRITES if w[3] == "agent-east" and w[4] == EAST_WRITERS]


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Centre]:
    tmp = tmp_path_factory.mktemp("scope-writes")
    pipeline = Pipeline(make_settings(tmp, f"sqlite:///{tmp / 'w.db'}", None))
    try:
        yield Centre(pipeline)
    finally:
        pipeline.close()


def scope_passed(path: str, response: Any) -> bool:
    """Telephony over HTTP needs the event stream, which these tests run without: the door
    answers 503 once the caller's role has been let through; a fresh subscription has no
    dead letter to replay (404 once the caller may ask)."""
    status = int(response.status_code)
    if path == "/v1/telephony/events":
        return status == 503
    return path.endswith("/dead-letters/{delivery_id}/replay") and status == 404


def assert_refused(response: Any) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"]


CASES = [
    pytest.param(
        method,
        path,
        prepare,
        target,
        caller,
        caller in allowed,
        id=f"{method} {path} {target} by {caller}",
    )
    for method, path, prepare, target, allowed in WRITES
    for caller in CALLERS
]


@pytest.mark.parametrize(("method", "declared", "prepare", "target", "caller", "allowed"), CASES)
def test_each_write_route_allows_exactly_the_callers_whose_scope_covers_it(
    centre: Centre,
    method: str,
    declared: str,
    prepare: Prepare,
    target: str,
    caller: str,
    allowed: bool,
) -> None:
    path, body = prepare(centre, target)
    response = centre.call(method, path, body, caller)
    if allowed:
        assert response.status_code < 300 or scope_passed(declared, response), response.text
    else:
        assert_refused(response)


@pytest.mark.parametrize(
    ("method", "prepare"),
    [pytest.param(m, p, id=f"{m} {path}") for m, path, p, *_ in AGENT_WRITES],
)
def test_after_the_move_the_new_team_s_manager_writes_and_the_old_one_no_longer_does(
    centre: Centre, method: str, prepare: Callable[[Centre, str], tuple[str, Any]]
) -> None:
    path, body = prepare(centre, "agent-mover")
    assert_refused(centre.call(method, path, body, "lead-east"))
    path, body = prepare(centre, "agent-mover")
    response = centre.call(method, path, body, "lead-west")
    assert response.status_code < 300, response.text


# Sign-in plumbing that takes no bearer token: the sign-in cookie decides (adapters/http/sso.py).
SIGN_IN = {("POST", "/v1/auth/session"), ("POST", "/v1/auth/logout")}


def test_every_write_route_has_its_scope_cases(centre: Centre) -> None:
    declared = {
        (method.upper(), path)
        for path, operations in centre.client.app.openapi()["paths"].items()
        for method in operations
        if method.upper() not in ("GET", "HEAD", "OPTIONS")
    }
    assert declared == {(method, path) for method, path, *_ in WRITES} | SIGN_IN
    # Without a sign-in under way, a bearer token (anyone's) takes over no session.
    for caller in ("root", "lead-east"):
        assert centre.call("POST", "/v1/auth/session", {}, caller).status_code == 401
    assert centre.client.post("/v1/auth/logout").status_code == 200


# --- the cross-team writes of the issue, and what is recorded ---------------------------------


def test_the_cross_team_writes_of_the_issue_answer_403_with_a_problem(centre: Centre) -> None:
    # A manager of team-east names team-east in the body, for an agent of team-west.
    for path, body in (
        ("/v1/check-ins", check_in_body("agent-west", "team-east")),
        ("/v1/reviews", {**centre.review_body("agent-west"), "team_id": "team-east"}),
        ("/v1/goals", goal_body("agent-west", "team-east")),
    ):
        response = centre.call("POST", path, body, "lead-east")
        assert_refused(response)
        assert "agent-west belongs to team team-west" in response.json()["detail"]
    template = centre.template("team-east")
    response = centre.call(
        "POST", f"/v1/goal-templates/{template}/assign", {"agent_ids": ["agent-west"]}, "lead-east"
    )
    assert_refused(response)
    assert "not agents of team team-east now: agent-west" in response.json()["detail"]


def test_a_goal_of_the_days_before_the_move_is_kept_for_the_team_of_those_days(
    centre: Centre,
) -> None:
    before = goal_body("agent-mover", "team-east")  # the third quarter: east until 15 August
    goal = centre.post("/v1/goals", before, caller="lead-west")["id"]
    after = {**before, "period_start": "2026-10-01", "period_end": "2026-12-31"}
    assert_refused(centre.call("POST", "/v1/goals", after, "lead-west"))
    assert_refused(centre.call("POST", "/v1/goals", before, "lead-east"))  # not theirs now
    centre.project()
    assert centre.call("GET", f"/v1/goals/{goal}", None, "ann").json()["team_id"] == "team-east"


def test_a_body_team_that_disagrees_with_the_roster_is_refused_even_for_an_admin(
    centre: Centre,
) -> None:
    response = centre.call(
        "POST", "/v1/check-ins", check_in_body("agent-west", "team-east"), "root"
    )
    assert_refused(response)
    assert "(roster), not to team team-east" in response.json()["detail"]


def test_an_assignment_to_agents_nobody_knows_is_refused_with_their_list(centre: Centre) -> None:
    template = centre.template("team-east")
    body = {"agent_ids": ["agent-east", "ghost-2", "ghost-1"]}
    for caller in ("lead-east", "root"):
        response = centre.call("POST", f"/v1/goal-templates/{template}/assign", body, caller)
        assert response.status_code == 422, response.text
        assert response.json()["ids"] == {"unknown": ["ghost-1", "ghost-2"]}
        assert response.json()["errors"][0]["field"] == "agent_ids"
    centre.project()
    assert centre.call("GET", f"/v1/goal-templates/{template}", None, "root").json()["version"] == 1


def test_records_are_kept_for_the_agent_s_team_in_the_roster_now(centre: Centre) -> None:
    goal = centre.post("/v1/goals", goal_body("agent-mover"), caller="lead-west")["id"]
    alert = centre.alert("agent-mover", "team-east")  # about a day before the move
    assert_refused(centre.call("POST", f"/v1/alerts/{alert}/check-in", {}, "lead-east"))
    check_in = centre.post(f"/v1/alerts/{alert}/check-in", caller="lead-west")["id"]
    centre.project()
    for record in (f"/v1/goals/{goal}", f"/v1/check-ins/{check_in}"):
        assert centre.call("GET", record, None, "ann").json()["team_id"] == "team-west"


def test_a_manager_or_agent_nobody_imported_is_refused_with_a_problem(centre: Centre) -> None:
    for caller in ("manager:ghost", "agent:ghost"):
        response = centre.call("GET", "/v1/goals", None, caller)
        assert_refused(response)
        assert "ghost is not on the roster" in response.json()["detail"]
    nobody = centre.call("GET", "/v1/goals", None, "ghost")  # no role claim, and not on it
    assert nobody.status_code == 401 and "names no role" in nobody.json()["detail"]


def test_moving_a_manager_takes_effect_at_the_next_request(client: Any) -> None:
    seed_roster(client, CENTRE_TEAMS, CENTRE_PEOPLE)
    lead = headers("lead-east")
    assert client.post("/v1/goals", json=goal_body("agent-east"), headers=lead).status_code == 201
    moved = CENTRE_PEOPLE.replace("manager,,team-east,", "manager,,team-north,")
    seed_roster(client, CENTRE_TEAMS, moved)  # lead-east now manages team-north instead
    assert_refused(client.post("/v1/goals", json=goal_body("agent-east"), headers=lead))
    assert client.post("/v1/goals", json=goal_body("agent-north"), headers=lead).status_code == 201
