"""A contact centre on the roster (tests.rosters.centre: two sites, four teams, managers,
directors, an auditor, agents and a mid-quarter move) behind the HTTP API, with helpers that
make fresh records for the scope tests of every route."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from adapters.sql.documents_view import DocView
from adapters.sql.parked import ParkedView
from aggregates.contract import envelope_of
from engine.alert_rules import Finding
from engine.alerting import raise_alert
from engine.commands import SetGoal
from projections.store import EventProjection
from tests.rosters import CENTRE_PEOPLE, CENTRE_TEAMS
from tests.support import Pipeline, seed_roster, token

# Callers: a roster person by id, or `role:subject` for a token whose subject is not on it.
CALLERS = (
    "root",  # admin on the roster
    "admin:ops",  # admin outside the roster (automation)
    "ann",  # auditor on the roster
    "auditor:ext",  # auditor outside the roster
    "dir-centre",  # director of the whole centre
    "dir-paris",  # director of the Paris site (team-east, team-west)
    "lead-east",
    "lead-west",
    "lead-north",
    "agent-east",
    "agent-east-2",
    "ingest:pbx",
    "manager:ghost",  # a manager nobody imported
)
TEAM_OF = {
    "agent-east": "team-east",
    "agent-east-2": "team-east",
    "agent-west": "team-west",
    "agent-north": "team-north",
    "agent-mover": "team-west",  # since 15 August 2026 (team-east before)
}
GOAL_PERIOD = {"period_start": "2026-07-01", "period_end": "2026-09-30"}


def headers(caller: str) -> dict[str, str]:
    """The bearer token of a caller. A roster person's token names no role: what they are comes
    from the roster, never from the token."""
    role, _, subject = caller.rpartition(":")
    return token(role or None, subject)


def goal_body(agent: str, team: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "agent_id": agent,
        "team_id": team or TEAM_OF[agent],
        "title": "Handle time",
        "kpi": "aht_seconds",
        "target": 300,
        "direction": "at_most",
        **GOAL_PERIOD,
        **extra,
    }


def check_in_body(agent: str, team: str | None = None) -> dict[str, Any]:
    return {
        "agent_id": agent,
        "team_id": team or TEAM_OF[agent],
        "held_at": "2026-08-03T10:00:00+00:00",
        "notes": "1:1",
        "action_items": [
            {"description": "Shadow a senior", "owner_id": agent, "due": "2026-08-20"}
        ],
    }


def template_body(team: str) -> dict[str, Any]:
    return {k: v for k, v in goal_body("agent-east", team).items() if k != "agent_id"}


def plan_body(agent: str, team: str | None = None) -> dict[str, Any]:
    """A development plan for the third quarter: action 1 the agent's, action 2 their lead's."""
    action = {"kind": "training", "description": "Course", "owner_id": agent, "due": "2026-08-20"}
    return {
        "agent_id": agent,
        "team_id": team or TEAM_OF[agent],
        **GOAL_PERIOD,
        "objectives": [{"title": "Fewer transfers"}],
        "actions": [action, {**action, "kind": "coaching_session", "owner_id": "lead"}],
    }


def subscription_body(team: str) -> dict[str, Any]:
    return {
        "scope": "team",
        "scope_id": team,
        "kinds": ["review.finalised"],
        "email": "leads@example.com",
    }


class Upload:
    """A multipart body (files by field name) instead of JSON."""

    def __init__(self, **files: str) -> None:
        self.files = {name: (f"{name}.csv", text.encode()) for name, text in files.items()}


class Centre:
    """The API over the centre's roster; records are made by the roster's admin."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.client = pipeline.client()
        self.app = pipeline.container.app
        self.periods = itertools.count()
        seed_roster(pipeline.container, CENTRE_TEAMS, CENTRE_PEOPLE)

    def call(self, method: str, path: str, body: Any, caller: str) -> Any:
        if isinstance(body, Upload):
            return self.client.request(method, path, files=body.files, headers=headers(caller))
        return self.client.request(method, path, json=body, headers=headers(caller))

    def post(self, path: str, body: Any = None, caller: str = "root") -> dict[str, Any]:
        response = self.call("POST", path, {} if body is None else body, caller)
        assert response.status_code in (200, 201), (path, response.text)
        return dict(response.json())

    # --- fresh records --------------------------------------------------------------------

    def goal(self, agent: str, **extra: Any) -> str:
        return str(self.post("/v1/goals", goal_body(agent, **extra))["id"])

    def closed_goal(self, agent: str) -> str:
        goal = self.goal(agent)
        self.post(f"/v1/goals/{goal}/close")
        return goal

    def check_in(self, agent: str) -> str:
        return str(self.post("/v1/check-ins", check_in_body(agent))["id"])

    def review_body(self, agent: str) -> dict[str, Any]:
        # A period of its own: two reviews of an agent may not overlap.
        start = date(2020, 1, 1) + timedelta(days=3 * next(self.periods))
        return {
            "agent_id": agent,
            "team_id": TEAM_OF[agent],
            "period_start": str(start),
            "period_end": str(start + timedelta(days=1)),
            "criteria": ["quality"],
        }

    def review(self, agent: str) -> str:
        return str(self.post("/v1/reviews", self.review_body(agent))["id"])

    def scored_review(self, agent: str) -> str:
        review = self.review(agent)
        score = {"criterion": "quality", "score": 4, "rationale": "solid"}
        self.post(f"/v1/reviews/{review}/scores", score)
        return review

    def finalised_review(self, agent: str) -> str:
        review = self.scored_review(agent)
        self.post(f"/v1/reviews/{review}/finalize")
        return review

    def disputed_review(self, agent: str) -> str:
        review = self.finalised_review(agent)
        self.post(f"/v1/reviews/{review}/disputes", {"reason": "too low"}, caller=agent)
        return review

    def template(self, team: str) -> str:
        return str(self.post("/v1/goal-templates", template_body(team))["id"])

    def alert(self, agent: str, team: str | None = None) -> str:
        n = next(self.periods)
        raise_alert(
            self.app,
            Finding(
                key=f"deviation:aht_seconds:{agent}:{n}",
                rule="deviation",
                team_id=team or TEAM_OF[agent],
                agent_id=agent,
                kpi="aht_seconds",
                day=date(2026, 8, 3),
                value=600,
                threshold=450,
                summary="slow",
            ),
        )
        return next(
            str(n.originator_id)
            for n in reversed(self.app.recorder.select_notifications(1, 100_000))
            if n.topic.endswith("Alert.Raised")
        )

    def plan(self, agent: str) -> str:
        return str(self.post("/v1/development-plans", plan_body(agent))["id"])

    def subscription(self, team: str) -> str:
        """A subscription to a team's finalised reviews, by e-mail."""
        return str(self.post("/v1/subscriptions", subscription_body(team))["id"])

    def old_goal_of_the_mover(self) -> str:
        """A goal kept for team-east while agent-mover was in it (before the move)."""
        body = goal_body("agent-mover", "team-east", kpi="manual", direction="at_least")
        return str(self.app.set_goal(SetGoal(**body), "admin:root").id)

    def project(self) -> None:
        """The read models caught up with everything stored (no relay in these tests)."""
        app = self.app
        notifications = app.recorder.select_notifications(1, 100_000)
        with self.pipeline.container.db.transaction() as cur:
            EventProjection(DocView(), ParkedView()).apply(
                cur, [envelope_of(n.id, n.topic, app.event_as_dict(n)) for n in notifications]
            )
