"""Development plans over HTTP on SQLite and PostgreSQL: who may start, change, complete and read
a plan, safe retries, stale versions, the read model, the audit trail and the rebuild."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from adapters.sql.documents_view import LIVE
from adapters.sql.rebuilder import rebuild
from adapters.telephony.ingestor import decode_archived
from engine.alert_rules import Finding
from engine.alerting import raise_alert
from tests.integration.live import LiveModels
from tests.rosters import TEAMS_AB
from tests.support import Pipeline, make_settings, seed_roster, token

PLANS = "/v1/development-plans"
ADMIN = token("admin", "alice")
MANAGER = token("manager", "bob")  # of team-a (tests.rosters.TEAMS_AB)
OUTSIDER = token("manager", "eve")  # of team-b
AGENT = token("agent", "agent-1")
OTHER_AGENT = token("agent", "agent-2")
AUDITOR = token("auditor", "carol")
ACTION = {"kind": "training", "description": "Course", "owner_id": "agent-1", "due": "2026-08-20"}
PLAN = {
    "agent_id": "agent-1",
    "team_id": "team-a",
    "period_start": "2026-07-01",
    "period_end": "2026-09-30",
    "objectives": [
        {"title": "AHT under 5 min", "kpi": "aht_seconds", "target": 300, "direction": "at_most"}
    ],
    # 1: the agent's own action; 2: the manager's.
    "actions": [ACTION, {**ACTION, "kind": "coaching_session", "owner_id": "bob"}],
}


class World:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.client = pipeline.client()
        self.live = LiveModels(pipeline.container)

    def call(
        self, method: str, path: str, headers: dict[str, str], body: Any = None, **extra: str
    ) -> Any:
        response = self.client.request(method, path, json=body, headers={**headers, **extra})
        self.live.project()
        return response

    def start(self, headers: dict[str, str] = MANAGER, **changes: Any) -> str:
        response = self.call("POST", PLANS, headers, {**PLAN, **changes})
        assert response.status_code == 201, response.text
        return str(response.json()["id"])


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    pipeline = Pipeline(make_settings(tmp_path, database_url, None))
    seed_roster(pipeline.container, *TEAMS_AB)
    try:
        yield World(pipeline)
    finally:
        pipeline.close()


def forbidden(response: Any) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 403 and response.json()["detail"]


def test_the_team_s_manager_runs_a_plan_and_its_document_follows(world: World) -> None:
    plan = world.start()
    base = f"{PLANS}/{plan}"
    assert world.call(
        "POST", base + "/objectives", MANAGER, {"title": "Fewer transfers"}
    ).is_success
    assert world.call("POST", base + "/actions", MANAGER, {**ACTION, "kind": "reading"}).is_success
    done = world.call("POST", base + "/actions/2/complete", MANAGER, {"note": "held"})
    assert done.status_code == 200 and done.json()["version"] == 4
    assert world.call("POST", base + "/actions/3/cancel", MANAGER, {"reason": "no"}).is_success
    check_in = {"agent_id": "agent-1", "team_id": "team-a", "held_at": "2026-08-03T10:00:00Z"}
    held = world.call("POST", "/v1/check-ins", MANAGER, check_in).json()["id"]
    unknown = {"text": "x", "check_in_id": "5b0c2a0e-8f1c-4c62-9c7e-3f8f9b1a2d44"}
    assert world.call("POST", base + "/notes", MANAGER, unknown).status_code == 422
    note = {"text": "Discussed in the 1:1", "check_in_id": held}
    assert world.call("POST", base + "/notes", MANAGER, note).is_success
    closing = {"outcome": "partly_achieved", "summary": "AHT down"}
    assert world.call("POST", base + "/close", MANAGER, closing, **{"If-Match": "6"}).is_success
    doc = world.call("GET", base, MANAGER).json()
    assert doc["status"] == "closed" and doc["outcome"] == "partly_achieved" and doc["version"] == 7
    assert [a["status"] for a in doc["actions"]] == ["open", "done", "cancelled"]
    assert doc["notes"][0]["check_in_id"] == note["check_in_id"]
    late = world.call("POST", base + "/actions", MANAGER, ACTION)
    assert late.status_code == 409 and "closed" in late.json()["detail"]


def test_a_due_date_outside_the_period_is_422_naming_the_field(world: World) -> None:
    response = world.call(
        "POST", PLANS, MANAGER, {**PLAN, "actions": [{**ACTION, "due": "2027-01-05"}]}
    )
    assert response.status_code == 422, response.text
    assert "actions[0].due" in response.text
    oversized = {**PLAN, "period_end": "2027-09-30"}
    assert world.call("POST", PLANS, MANAGER, oversized).status_code == 422


def test_the_agent_reads_their_plan_completes_their_action_and_notes_progress(
    world: World,
) -> None:
    plan = world.start()
    base = f"{PLANS}/{plan}"
    assert world.call("GET", base, AGENT).status_code == 200
    assert [p["id"] for p in world.call("GET", PLANS, AGENT).json()["items"]] == [plan]
    done = world.call("POST", base + "/actions/1/complete", AGENT, {"note": "passed"})
    assert done.status_code == 200, done.text
    assert world.call("POST", base + "/notes", AGENT, {"text": "Calmer"}).status_code == 200
    forbidden(world.call("POST", base + "/actions/2/complete", AGENT, {}))
    forbidden(world.call("POST", base + "/actions", AGENT, ACTION))
    forbidden(world.call("POST", base + "/objectives", AGENT, {"title": "Mine"}))
    forbidden(world.call("POST", base + "/actions/2/cancel", AGENT, {"reason": "no"}))
    forbidden(world.call("POST", base + "/close", AGENT, {"outcome": "achieved", "summary": "s"}))
    forbidden(world.call("POST", PLANS, AGENT, PLAN))
    doc = world.call("GET", base, AGENT).json()
    assert doc["actions"][0]["done_by"] == "agent:agent-1" and doc["notes"][0]["text"] == "Calmer"


def test_another_agent_and_another_team_s_manager_are_refused(world: World) -> None:
    plan = world.start()
    base = f"{PLANS}/{plan}"
    for caller in (OTHER_AGENT, OUTSIDER):
        forbidden(world.call("GET", base, caller))
        forbidden(world.call("POST", base + "/actions/1/complete", caller, {}))
        forbidden(world.call("POST", base + "/notes", caller, {"text": "x"}))
    forbidden(world.call("POST", PLANS, OUTSIDER, PLAN))
    forbidden(
        world.call("POST", base + "/close", OUTSIDER, {"outcome": "achieved", "summary": "s"})
    )
    assert world.call("GET", PLANS, OUTSIDER).json()["items"] == []
    assert world.call("GET", PLANS, OTHER_AGENT).json()["items"] == []
    assert world.call("GET", base, MANAGER).json()["version"] == 1


def test_the_auditor_reads_plans_and_their_trail_and_writes_nothing(world: World) -> None:
    plan = world.start()
    base = f"{PLANS}/{plan}"
    assert world.call("POST", base + "/actions/1/complete", AGENT, {"note": "passed"}).is_success
    assert world.call("GET", base, AUDITOR).status_code == 200
    listed = world.call("GET", PLANS + "?team_id=team-a&status=open", AUDITOR).json()["items"]
    assert [p["id"] for p in listed] == [plan]
    trail = world.call("GET", f"/v1/audit/{plan}/events", AUDITOR).json()
    completed = trail[-1]
    assert completed["type"] == "DevelopmentPlan.ActionCompleted"
    assert completed["actor"] == "agent:agent-1"
    assert (completed["data"]["before"], completed["data"]["after"]) == ("open", "done")
    before = world.call("GET", f"/v1/audit/{plan}/state?version=1", AUDITOR).json()
    assert before["version"] == 1 and before["actions"][0]["status"] == "open"
    forbidden(world.call("GET", f"/v1/audit/{plan}/state?version=1", OTHER_AGENT))
    forbidden(world.call("POST", PLANS, AUDITOR, PLAN))
    forbidden(world.call("POST", base + "/notes", AUDITOR, {"text": "x"}))
    forbidden(world.call("POST", base + "/close", AUDITOR, {"outcome": "achieved", "summary": "s"}))


def test_a_retried_start_is_stored_once_and_a_stale_version_is_409(world: World) -> None:
    key = {"Idempotency-Key": "plan-key-1"}
    first = world.call("POST", PLANS, MANAGER, PLAN, **key)
    again = world.call("POST", PLANS, MANAGER, PLAN, **key)
    assert first.status_code == again.status_code == 201
    assert first.headers["Location"] == f"{PLANS}/{first.json()['id']}"
    assert first.json()["id"] == again.json()["id"]
    assert len(world.call("GET", PLANS, ADMIN).json()["items"]) == 1
    base = f"{PLANS}/{first.json()['id']}"
    stale = world.call("POST", base + "/notes", MANAGER, {"text": "x"}, **{"If-Match": "7"})
    assert stale.status_code == 409


def test_a_plan_started_from_an_alert_is_recorded_on_the_alert(world: World) -> None:
    app = world.pipeline.container.app
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
    world.live.project()
    (alert,) = world.call("GET", "/v1/alerts?status=open", MANAGER).json()["items"]
    origin = {"kind": "alert", "id": alert["id"]}
    forbidden(world.call("POST", PLANS, OUTSIDER, {**PLAN, "origin": origin}))
    started = world.call("POST", PLANS, MANAGER, {**PLAN, "origin": origin})
    assert started.status_code == 201, started.text
    assert started.json()["alert_id"] == alert["id"]
    handled = world.call("GET", f"/v1/alerts/{alert['id']}", MANAGER).json()
    assert handled["status"] == "planned" and handled["plan_id"] == started.json()["id"]
    again = world.call("POST", PLANS, MANAGER, {**PLAN, "origin": origin})
    assert again.status_code == 409


def test_the_rebuild_includes_plans_and_reports_a_damaged_one(world: World) -> None:
    plan = world.start()
    world.call("POST", f"{PLANS}/{plan}/actions/1/complete", AGENT, {"note": "passed"})
    container = world.pipeline.container

    def differences() -> list[str]:
        return rebuild(
            container.db, container.app, decode_archived, lambda *_: None, check=True
        ).differences

    assert differences() == []
    with container.db.transaction() as cur:
        cur.execute(f"UPDATE {LIVE.docs} SET status = 'closed' WHERE kind = 'DevelopmentPlan'")
    assert differences() != []
