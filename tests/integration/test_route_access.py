"""Every route's 401 (no or bad token), 403 (outside the role's scope) and 422 (invalid input), as
application/problem+json naming the field and the reason (SQLite; read models projected
in-process)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from adapters.sql.documents_view import DocView
from adapters.sql.parked import ParkedView
from aggregates.contract import envelope_of
from engine.alert_rules import Finding
from engine.alerting import raise_alert
from projections.store import EventProjection
from tests.support import Pipeline, make_settings, token

ADMIN = token("admin", "alice")
OUTSIDER = token("manager", "eve", "team-b")  # a manager of another team
AGENT = token("agent", "agent-2")  # an agent who is not agent-1
INGEST = token("ingest", "pbx")
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
    "notes": "1:1",
}
REVIEW = {
    "agent_id": "agent-1",
    "team_id": "team-a",
    "period_start": "2026-07-01",
    "period_end": "2026-09-30",
    "goal_ids": [],
    "criteria": ["quality"],
}
TEMPLATE = {k: v for k, v in GOAL.items() if k != "agent_id"}

# (method, path, body, token outside the scope, (path, body) of an invalid request naming `field`,
# field).
# Routes without any input to validate have no 422 case (None).
ROUTES: list[tuple[str, str, Any, dict[str, str], tuple[str, Any] | None, str | None]] = [
    ("GET", "/v1/goals", None, INGEST, ("/v1/goals?limit=0", None), "limit"),
    ("GET", "/v1/goals/{goal}", None, OUTSIDER, None, None),
    (
        "GET",
        "/v1/goals/rollup?team_id=team-a",
        None,
        OUTSIDER,
        ("/v1/goals/rollup", None),
        "team_id",
    ),
    (
        "POST",
        "/v1/goals",
        GOAL,
        OUTSIDER,
        ("/v1/goals", {**GOAL, "direction": "sideways"}),
        "direction",
    ),
    ("GET", "/v1/check-ins", None, INGEST, ("/v1/check-ins?limit=5000", None), "limit"),
    ("GET", "/v1/check-ins/{check_in}", None, OUTSIDER, None, None),
    (
        "POST",
        "/v1/check-ins",
        CHECK_IN,
        OUTSIDER,
        ("/v1/check-ins", {**CHECK_IN, "held_at": "2026-08-03T10:00"}),
        "held_at",
    ),
    ("GET", "/v1/reviews", None, INGEST, ("/v1/reviews?limit=x", None), "limit"),
    ("GET", "/v1/reviews/{review}", None, OUTSIDER, None, None),
    (
        "POST",
        "/v1/reviews",
        REVIEW,
        OUTSIDER,
        ("/v1/reviews", {**REVIEW, "period_start": "soon"}),
        "period_start",
    ),
    ("GET", "/v1/goal-templates/{template}", None, AGENT, None, None),
    (
        "POST",
        "/v1/goal-templates",
        TEMPLATE,
        OUTSIDER,
        ("/v1/goal-templates", {**TEMPLATE, "weight": 0}),
        "weight",
    ),
    ("GET", "/v1/review-templates/default", None, INGEST, None, None),
    ("GET", "/v1/audit/{goal}/events", None, OUTSIDER, None, None),
    (
        "GET",
        "/v1/audit/{goal}/state",
        None,
        OUTSIDER,
        ("/v1/audit/{goal}/state?version=0", None),
        "version",
    ),
    (
        "GET",
        "/v1/audit/reviews/{review}/score-changes",
        None,
        OUTSIDER,
        ("/v1/audit/reviews/{review}/score-changes?goals=maybe", None),
        "goals",
    ),
    (
        "GET",
        "/v1/agents/agent-1/kpis",
        None,
        AGENT,
        ("/v1/agents/agent-1/kpis?bucket=year", None),
        "bucket",
    ),
    (
        "POST",
        "/v1/tokens/revocations",
        {"subject": "agent-1"},
        OUTSIDER,
        ("/v1/tokens/revocations", {"jti": ""}),
        "jti",
    ),
    ("GET", "/v1/tokens/revocations", None, AGENT, None, None),
    (
        "GET",
        "/v1/teams/team-a/kpis",
        None,
        OUTSIDER,
        ("/v1/teams/team-a/kpis?from=yesterday", None),
        "from",
    ),
    (
        "GET",
        "/v1/teams/team-a/leaderboard",
        None,
        OUTSIDER,
        ("/v1/teams/team-a/leaderboard?kpi=vibes", None),
        "kpi",
    ),
    ("GET", "/v1/teams", None, AGENT, None, None),
    ("GET", "/v1/alerts", None, INGEST, ("/v1/alerts?status=maybe", None), "status"),
    ("GET", "/v1/alerts/{alert}", None, OUTSIDER, None, None),
    (
        "POST",
        "/v1/alerts/{alert}/check-in",
        {},
        OUTSIDER,
        ("/v1/alerts/{alert}/check-in", {"held_at": "2026-08-03T10:00"}),
        "held_at",
    ),
    (
        "POST",
        "/v1/alerts/{alert}/dismiss",
        {"reason": "noise"},
        OUTSIDER,
        ("/v1/alerts/{alert}/dismiss", {}),
        "reason",
    ),
    ("GET", "/v1/teams/team-a/alert-rules", None, OUTSIDER, None, None),
    (
        "PUT",
        "/v1/teams/team-a/alert-rules",
        {"rules": []},
        OUTSIDER,
        ("/v1/teams/team-a/alert-rules", {"rules": [{"kind": "deviation", "kpi": "vibes"}]}),
        "rules.0.deviation.kpi",
    ),
    (
        "POST",
        "/v1/telephony/events",
        [],
        AGENT,
        ("/v1/telephony/events", {"not": "a list"}),
        "body",
    ),
]
IDS = [f"{method} {path}" for method, path, *_ in ROUTES]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, str]]]:
    """One of each record, of agent-1 in team-a, projected into the read models."""
    tmp = tmp_path_factory.mktemp("access")
    pipeline = Pipeline(make_settings(tmp, f"sqlite:///{tmp / 'p.db'}", None))
    client = pipeline.client()
    ids = {
        "goal": client.post("/v1/goals", json=GOAL, headers=ADMIN).json()["id"],
        "check_in": client.post("/v1/check-ins", json=CHECK_IN, headers=ADMIN).json()["id"],
        "review": client.post("/v1/reviews", json=REVIEW, headers=ADMIN).json()["id"],
        "template": client.post("/v1/goal-templates", json=TEMPLATE, headers=ADMIN).json()["id"],
    }
    app = pipeline.container.app
    raise_alert(
        app,
        Finding(
            key="deviation:aht_seconds:agent-1:2026-08-03",
            rule="deviation",
            team_id="team-a",
            agent_id="agent-1",
            kpi="aht_seconds",
            day=date(2026, 8, 3),
            value=600,
            threshold=450,
            summary="slow",
        ),
    )
    ids["alert"] = next(
        str(n.originator_id)
        for n in app.recorder.select_notifications(1, 100)
        if n.topic.endswith("Alert.Raised")
    )
    notifications = app.recorder.select_notifications(1, 1000)
    with pipeline.container.db.transaction() as cur:
        EventProjection(DocView(), ParkedView()).apply(
            cur, [envelope_of(n.id, n.topic, app.event_as_dict(n)) for n in notifications]
        )
    try:
        yield client, ids
    finally:
        pipeline.close()


def call(
    client: Any, method: str, path: str, body: Any, headers: dict[str, str], ids: dict[str, str]
) -> Any:
    return client.request(method, path.format(**ids), json=body, headers=headers)


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status and problem["title"] and problem["detail"]
    return dict(problem)


@pytest.mark.parametrize(
    ("method", "path", "body", "outsider", "invalid", "field"), ROUTES, ids=IDS
)
def test_a_request_without_a_valid_token_is_401(
    world: Any, method: str, path: str, body: Any, outsider: Any, invalid: Any, field: Any
) -> None:
    client, ids = world
    assert_problem(call(client, method, path, body, {}, ids), 401)
    forged = {"Authorization": "Bearer " + ADMIN["Authorization"].split()[1][:-2] + "xx"}
    assert_problem(call(client, method, path, body, forged, ids), 401)


@pytest.mark.parametrize(
    ("method", "path", "body", "outsider", "invalid", "field"), ROUTES, ids=IDS
)
def test_a_caller_outside_the_route_s_scope_is_403(
    world: Any,
    method: str,
    path: str,
    body: Any,
    outsider: dict[str, str],
    invalid: Any,
    field: Any,
) -> None:
    client, ids = world
    assert_problem(call(client, method, path, body, outsider, ids), 403)


INVALID = [(m, p, b, o, i, f) for m, p, b, o, i, f in ROUTES if i is not None]


@pytest.mark.parametrize(
    ("method", "path", "body", "outsider", "invalid", "field"),
    INVALID,
    ids=[f"{m} {p}" for m, p, *_ in INVALID],
)
def test_invalid_input_is_422_naming_the_field_and_the_reason(
    world: Any,
    method: str,
    path: str,
    body: Any,
    outsider: Any,
    invalid: tuple[str, Any],
    field: str,
) -> None:
    client, ids = world
    problem = assert_problem(call(client, method, invalid[0], invalid[1], ADMIN, ids), 422)
    fields = [error["field"] for error in problem["errors"]]
    assert field in fields, fields
    assert all(error["reason"] for error in problem["errors"])


def test_openapi_documents_the_read_routes_with_examples(world: Any) -> None:
    client, _ = world
    schema = client.get("/openapi.json").json()
    for path in (
        "/v1/alerts",
        "/v1/alerts/{alert_id}",
        "/v1/alerts/{alert_id}/check-in",
        "/v1/teams",
        "/v1/teams/{team_id}/alert-rules",
        "/metrics",
        "/readyz",
        "/v1/goals",
        "/v1/check-ins",
    ):
        assert path in schema["paths"], path
    listed = schema["paths"]["/v1/alerts"]["get"]
    assert listed["summary"] and listed["description"]
    assert "examples" in schema["components"]["schemas"]["AlertPage"]
    assert client.get("/docs").status_code == 200


def test_every_operation_shows_an_example_answer(world: Any) -> None:
    client, _ = world
    schema = client.get("/openapi.json").json()
    refs = schema["components"]["schemas"]
    missing = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            answers = [
                r.get("content", {}).get("application/json", {})
                for s, r in operation["responses"].items()
                if s.startswith("2")
            ]
            shown = any(
                "example" in a
                or "examples" in a
                or "examples"
                in refs.get(a.get("schema", {}).get("$ref", "/").rsplit("/", 1)[-1], {})
                for a in answers
            )
            if not shown and path != "/":
                missing.append(f"{method.upper()} {path}")
    assert missing == []
