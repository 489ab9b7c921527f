"""Every command route loads the aggregate it changes exactly once: the scope check and the
command share that load (engine/services/). The application's repository is wrapped at the
composition root's product (the built container) by a counting double; each route is called
once, successfully, and the loads it caused are counted per aggregate id."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from engine.alert_rules import Finding
from engine.alerting import raise_alert
from tests.rosters import TEAMS_AB
from tests.support import Pipeline, make_settings, seed_roster, token

ADMIN = token("admin", "alice")
AGENT = token("agent", "agent-1")
GOAL = {
    "agent_id": "agent-1",
    "team_id": "team-a",
    "title": "AHT",
    "target": 300,
    "direction": "at_most",
    "period_start": "2026-07-01",
    "period_end": "2026-09-30",
}
REVIEW = {
    "agent_id": "agent-1",
    "team_id": "team-a",
    "period_start": "2026-07-01",
    "period_end": "2026-09-30",
    "criteria": ["quality"],
}
CHECK_IN = {
    "agent_id": "agent-1",
    "team_id": "team-a",
    "held_at": "2026-08-03T10:00:00+00:00",
    "action_items": [
        {"description": "Shadow a senior", "owner_id": "agent-1", "due": "2026-08-20"}
    ],
}
TEMPLATE = {k: v for k, v in GOAL.items() if k != "agent_id"}
PLAN_ACTION = {
    "kind": "training",
    "description": "Course",
    "owner_id": "agent-1",
    "due": "2026-08-20",
}
PLAN = {
    "agent_id": "agent-1",
    "team_id": "team-a",
    "period_start": "2026-07-01",
    "period_end": "2026-09-30",
    "objectives": [{"title": "Calmer calls"}],
    "actions": [PLAN_ACTION],
}

# Routes that change no aggregate of the event store: telephony goes to Kafka via the inbox, and
# token revocation is a row of its own table.
NOT_AGGREGATE_COMMANDS = {
    ("POST", "/v1/telephony/events"),
    ("POST", "/v1/tokens/revocations"),
    # Many aggregates per command; each changed one is loaded once
    # (tests/integration/test_roster_read_model.py).
    ("POST", "/v1/roster/import"),
    # Replays change rows of the delivery queue (adapters/sql/notify_store.py), no aggregate.
    ("POST", "/v1/subscriptions/{subscription_id}/dead-letters/replay"),
    ("POST", "/v1/subscriptions/{subscription_id}/dead-letters/{delivery_id}/replay"),
    # The dashboard's sign-in session: a cookie handed over or cleared, no aggregate.
    ("POST", "/v1/auth/session"),
    ("POST", "/v1/auth/logout"),
}


class CountingRepository:
    """Stands in for the application's repository.get and counts the ids it was asked for."""

    def __init__(self, get: Callable[..., Any]) -> None:
        self.inner = get
        self.loads: Counter[str] = Counter()

    def __call__(self, aggregate_id: UUID, *args: Any, **kwargs: Any) -> Any:
        self.loads[str(aggregate_id)] += 1
        return self.inner(aggregate_id, *args, **kwargs)


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[tuple[Any, CountingRepository, Pipeline]]:
    pipeline = Pipeline(make_settings(tmp_path, database_url, None))
    seed_roster(pipeline.container, *TEAMS_AB)
    repository = pipeline.container.app.repository
    counting = CountingRepository(repository.get)
    repository.get = counting  # type: ignore[method-assign]
    try:
        yield pipeline.client(), counting, pipeline
    finally:
        pipeline.close()


def command(
    client: Any,
    counting: CountingRepository,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] = ADMIN,
    target: str | None = None,
) -> dict[str, Any]:
    """Calls one command route; asserts it succeeded and loaded its target (if any) once, and
    nothing twice."""
    counting.loads.clear()
    response = client.request(method, path, json=body, headers=headers)
    assert response.status_code in (200, 201), (method, path, response.text)
    twice = {aggregate_id: n for aggregate_id, n in counting.loads.items() if n > 1}
    assert not twice, f"{method} {path} loaded {twice}"
    if target is not None:
        assert counting.loads[target] == 1, (
            f"{method} {path} loaded its aggregate {counting.loads[target]} times"
        )
    return dict(response.json())


def alert(pipeline: Pipeline, day: int) -> str:
    app = pipeline.container.app
    raise_alert(
        app,
        Finding(
            key=f"deviation:aht_seconds:agent-1:2026-08-{day:02d}",
            rule="deviation",
            team_id="team-a",
            agent_id="agent-1",
            kpi="aht_seconds",
            day=date(2026, 8, day),
            value=600,
            threshold=450,
            summary="slow",
        ),
    )
    return next(
        str(n.originator_id)
        for n in reversed(app.recorder.select_notifications(1, 1000))
        if n.topic.endswith("Alert.Raised")
    )


def test_every_command_route_loads_its_aggregate_once(
    world: tuple[Any, CountingRepository, Pipeline],
) -> None:
    client, counting, pipeline = world
    called: set[tuple[str, str]] = set()

    def run(
        method: str,
        template: str,
        ids: dict[str, str],
        body: Any = None,
        headers: dict[str, str] = ADMIN,
        target: str | None = None,
    ) -> dict[str, Any]:
        called.add((method, template))
        return command(client, counting, method, template.format(**ids), body, headers, target)

    goal = run("POST", "/v1/goals", {}, GOAL)["id"]
    ids = {"goal_id": goal}
    run(
        "POST",
        "/v1/goals/{goal_id}/revise-target",
        ids,
        {"target": 280, "reason": "new baseline"},
        target=goal,
    )
    run(
        "POST",
        "/v1/goals/{goal_id}/progress",
        ids,
        {"value": 290, "as_of": "2026-08-01T00:00:00+00:00"},
        target=goal,
    )
    run("POST", "/v1/goals/{goal_id}/close", ids, {}, target=goal)
    run(
        "POST", "/v1/goals/{goal_id}/correct", ids, {"value": 270, "reason": "recount"}, target=goal
    )
    draft = run("POST", "/v1/goals", {}, {**GOAL, "draft": True})["id"]
    run("POST", "/v1/goals/{goal_id}/activate", {"goal_id": draft}, target=draft)
    run(
        "POST",
        "/v1/goals/{goal_id}/cancel",
        {"goal_id": draft},
        {"reason": "duplicate"},
        target=draft,
    )

    check_in = run("POST", "/v1/check-ins", {}, CHECK_IN)["id"]
    run(
        "POST",
        "/v1/check-ins/{check_in_id}/action-items/{n}/complete",
        {"check_in_id": check_in, "n": "1"},
        target=check_in,
    )

    review = run("POST", "/v1/reviews", {}, REVIEW)["id"]
    ids = {"review_id": review, "index": "0"}
    run(
        "POST",
        "/v1/reviews/{review_id}/scores",
        ids,
        {"criterion": "quality", "score": 4, "rationale": "solid"},
        target=review,
    )
    run(
        "POST",
        "/v1/reviews/{review_id}/feedback",
        ids,
        {"source": "peer", "author_id": "agent-2", "text": "helpful", "rating": 4},
        target=review,
    )
    run(
        "POST",
        "/v1/reviews/{review_id}/calibrate",
        ids,
        {"adjustment": 0.5, "reason": "panel"},
        target=review,
    )
    run("POST", "/v1/reviews/{review_id}/finalize", ids, target=review)
    run(
        "POST", "/v1/reviews/{review_id}/disputes", ids, {"reason": "too low"}, AGENT, target=review
    )
    run(
        "POST",
        "/v1/reviews/{review_id}/disputes/{index}/uphold",
        ids,
        {"reason": "stands"},
        target=review,
    )
    run("POST", "/v1/reviews/{review_id}/reopen", ids, {"reason": "new evidence"}, target=review)
    run("POST", "/v1/reviews/{review_id}/finalize", ids, target=review)
    run("POST", "/v1/reviews/{review_id}/acknowledge", ids, headers=AGENT, target=review)
    other = run(
        "POST",
        "/v1/reviews",
        {},
        {**REVIEW, "period_start": "2026-10-01", "period_end": "2026-10-31"},
    )["id"]
    run(
        "POST",
        "/v1/reviews/{review_id}/cancel",
        {"review_id": other},
        {"reason": "wrong period"},
        target=other,
    )

    template = run("POST", "/v1/goal-templates", {}, TEMPLATE)["id"]
    run(
        "POST",
        "/v1/goal-templates/{template_id}/assign",
        {"template_id": template},
        {"agent_ids": ["agent-3"]},
        target=template,
    )
    run(
        "POST",
        "/v1/review-templates",
        {},
        {"policy_id": "p1", "criteria": ["quality"], "goal_weight": 0.5},
    )

    first, second = alert(pipeline, 3), alert(pipeline, 4)
    run("POST", "/v1/alerts/{alert_id}/check-in", {"alert_id": first}, {}, target=first)
    run(
        "POST",
        "/v1/alerts/{alert_id}/dismiss",
        {"alert_id": second},
        {"reason": "noise"},
        target=second,
    )
    run("PUT", "/v1/teams/{team_id}/alert-rules", {"team_id": "team-a"}, {"rules": []})

    third = alert(pipeline, 5)
    plan = run(
        "POST", "/v1/development-plans", {}, {**PLAN, "origin": {"kind": "alert", "id": third}}
    )
    assert counting.loads[third] == 1
    ids = {"plan_id": plan["id"], "n": "1"}
    base = "/v1/development-plans/{plan_id}"
    run("POST", base + "/objectives", ids, {"title": "Fewer transfers"}, target=plan["id"])
    run("POST", base + "/actions", ids, PLAN_ACTION, target=plan["id"])
    run("POST", base + "/actions/{n}/complete", ids, {"note": "done"}, AGENT, target=plan["id"])
    run(
        "POST",
        base + "/actions/{n}/cancel",
        {**ids, "n": "2"},
        {"reason": "not needed"},
        target=plan["id"],
    )
    run("POST", base + "/notes", ids, {"text": "Calmer"}, AGENT, target=plan["id"])
    run("POST", base + "/close", ids, {"outcome": "achieved", "summary": "ok"}, target=plan["id"])

    hook = {"scope": "team", "scope_id": "team-a", "kinds": ["alert.raised"]}
    subscription = run(
        "POST", "/v1/subscriptions", {}, {**hook, "url": "https://hooks.example.com/x"}
    )["id"]
    ids = {"subscription_id": subscription}
    run(
        "PUT",
        "/v1/subscriptions/{subscription_id}",
        ids,
        {"kinds": ["dispute.filed"], "email": "a@example.com"},
        target=subscription,
    )
    run("POST", "/v1/subscriptions/{subscription_id}/rotate-secret", ids, target=subscription)
    run("POST", "/v1/subscriptions/{subscription_id}/remove", ids, target=subscription)

    # Every command route of the API is in this test, so a new one cannot skip the rule.
    routes = {
        (method.upper(), path)
        for path, operations in client.app.openapi()["paths"].items()
        for method in operations
        if method in ("post", "put", "patch", "delete")
    }
    assert routes - NOT_AGGREGATE_COMMANDS == called
