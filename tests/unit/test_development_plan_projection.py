"""A development plan's stored events become its document, its alert's link and trail rows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from aggregates.contract import GENESIS, EventEnvelope, envelope_of
from aggregates.errors import InvalidValue, RuleViolation
from engine.alert_rules import Finding
from engine.alerting import raise_alert
from engine.application import PerfLedger
from engine.commands import (
    PlanAction,
    PlanObjective,
    RecordCheckIn,
    SetGoal,
    StartDevelopmentPlan,
)
from projections.alerts import apply_alert
from projections.development_plans import apply_development_plan
from projections.history_rows import history_entry

MANAGER = "manager:bob"
AGENT = "agent:agent-1"


def app() -> PerfLedger:
    return PerfLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def alert(ledger: PerfLedger, agent_id: str = "agent-1") -> str:
    raise_alert(
        ledger,
        Finding(
            key=f"deviation:aht_seconds:{agent_id}:2026-10-05",
            rule="deviation",
            team_id="team-a",
            agent_id=agent_id,
            kpi="aht_seconds",
            day=date(2026, 10, 5),
            value=600,
            threshold=450,
            summary="slow",
        ),
    )
    return str(envelopes(ledger)[-1].id)


def start(origin: dict[str, Any] | None = None, **changes: Any) -> StartDevelopmentPlan:
    return StartDevelopmentPlan.model_validate(
        {
            "agent_id": "agent-1",
            "team_id": "team-a",
            "period_start": "2026-10-01",
            "period_end": "2026-12-31",
            "objectives": [
                {"title": "AHT", "kpi": "aht_seconds", "target": 300, "direction": "at_most"}
            ],
            "actions": [
                {
                    "kind": "training",
                    "description": "Call control course",
                    "owner_id": "agent-1",
                    "due": "2026-10-20",
                }
            ],
            "origin": origin or {"kind": "manual"},
            **changes,
        }
    )


def envelopes(ledger: PerfLedger) -> list[EventEnvelope]:
    return [
        envelope_of(n.id, n.topic, ledger.event_as_dict(n))
        for n in ledger.recorder.select_notifications(1, 1000)
    ]


def project(events: list[EventEnvelope], kind: str, builder: Any) -> dict[str, Any]:
    doc = None
    for e in events:
        if e.kind == kind:
            doc = builder(doc, e)
    assert doc is not None
    return dict(doc)


def test_a_plan_s_whole_life_becomes_its_document() -> None:
    ledger = app()
    plan, _ = ledger.start_development_plan(start(), MANAGER)
    ledger.add_plan_objective(plan.id, PlanObjective(title="Empathy statements"), MANAGER)
    action = PlanAction(
        kind="reading", description="Read the guide", owner_id="bob", due=date(2026, 11, 1)
    )
    ledger.add_plan_action(plan.id, action, MANAGER)
    ledger.complete_plan_action(plan.id, 0, "passed", AGENT)
    ledger.cancel_plan_action(plan.id, 1, "guide withdrawn", MANAGER)
    ledger.note_plan_progress(plan.id, "Calmer", None, AGENT)
    ledger.close_plan(plan.id, "partly_achieved", "AHT down", MANAGER, expected_version=6)
    doc = project(envelopes(ledger), "DevelopmentPlan", apply_development_plan)
    assert doc["status"] == "closed" and doc["outcome"] == "partly_achieved"
    assert doc["version"] == 7 and doc["manager"] == MANAGER and doc["closed_by"] == MANAGER
    assert doc["period_start"] == "2026-10-01" and doc["origin"] == {"kind": "manual", "id": None}
    assert [o["title"] for o in doc["objectives"]] == ["AHT", "Empathy statements"]
    assert [(a["n"], a["status"], a["note"], a["done_by"]) for a in doc["actions"]] == [
        (1, "done", "passed", AGENT),
        (2, "cancelled", "guide withdrawn", MANAGER),
    ]
    assert doc["open_actions"] == 0
    assert [(n["text"], n["actor"]) for n in doc["notes"]] == [("Calmer", AGENT)]


def test_the_trail_keeps_actor_before_and_after_of_each_status_change() -> None:
    ledger = app()
    plan, _ = ledger.start_development_plan(start(), MANAGER)
    ledger.complete_plan_action(plan.id, 0, "passed", AGENT)
    events = [e for e in envelopes(ledger) if e.kind == "DevelopmentPlan"]
    first = history_entry(events[0], GENESIS)
    second = history_entry(events[1], first["hash"])
    assert second["type"] == "DevelopmentPlan.ActionCompleted" and second["actor"] == AGENT
    assert (second["data"]["before"], second["data"]["after"]) == ("open", "done")
    assert second["prev_hash"] == first["hash"]


def test_an_event_before_the_plan_started_is_refused() -> None:
    ledger = app()
    plan, _ = ledger.start_development_plan(start(), MANAGER)
    ledger.close_plan(plan.id, "achieved", "ok", MANAGER)
    closing = envelopes(ledger)[-1]
    with pytest.raises(ValueError):
        apply_development_plan(None, closing)


def test_a_plan_started_from_an_alert_is_recorded_on_the_alert_in_one_save() -> None:
    ledger = app()
    alert_id = alert(ledger)
    plan, linked = ledger.start_development_plan(start({"kind": "alert", "id": alert_id}), MANAGER)
    assert linked is not None and linked.plan_id == str(plan.id)
    events = envelopes(ledger)
    alert_doc = project(events, "Alert", apply_alert)
    assert alert_doc["status"] == "planned" and alert_doc["plan_id"] == str(plan.id)
    plan_doc = project(events, "DevelopmentPlan", apply_development_plan)
    assert plan_doc["origin"] == {"kind": "alert", "id": alert_id}
    # A handled alert starts no second plan.
    with pytest.raises(RuleViolation):
        ledger.start_development_plan(start({"kind": "alert", "id": alert_id}), MANAGER)


def test_an_origin_about_another_agent_or_missing_is_refused() -> None:
    ledger = app()
    other = alert(ledger, "agent-9")
    with pytest.raises(InvalidValue) as refused:
        ledger.start_development_plan(start({"kind": "alert", "id": other}), MANAGER)
    assert refused.value.field == "origin.id"
    missing = "5b0c2a0e-8f1c-4c62-9c7e-3f8f9b1a2d44"
    with pytest.raises(InvalidValue):
        ledger.start_development_plan(start({"kind": "review", "id": missing}), MANAGER)


def test_an_objective_s_goal_must_be_the_agent_s() -> None:
    ledger = app()
    missing = "5b0c2a0e-8f1c-4c62-9c7e-3f8f9b1a2d44"
    command = start(objectives=[{"title": "Goal", "goal_id": missing}])
    with pytest.raises(InvalidValue) as refused:
        ledger.start_development_plan(command, MANAGER)
    assert refused.value.field == "objectives[0].goal_id"


def test_an_objective_s_goal_of_another_agent_is_refused() -> None:
    ledger = app()
    goal = ledger.set_goal(
        SetGoal(
            agent_id="agent-9",
            team_id="team-a",
            title="AHT",
            target=300,
            direction="at_most",
            period_start=date(2026, 10, 1),
            period_end=date(2026, 12, 31),
        ),
        MANAGER,
    )
    command = start(objectives=[{"title": "Goal", "goal_id": str(goal.id)}])
    with pytest.raises(InvalidValue) as refused:
        ledger.start_development_plan(command, MANAGER)
    assert "not about agent-1" in refused.value.message


def test_a_note_from_a_check_in_names_one_of_the_agent_s_check_ins() -> None:
    ledger = app()
    plan, _ = ledger.start_development_plan(start(), MANAGER)
    held: dict[str, Any] = {"team_id": "team-a", "held_at": datetime(2026, 10, 5, 10, tzinfo=UTC)}
    other = ledger.record_check_in(RecordCheckIn(agent_id="agent-9", **held), MANAGER)
    with pytest.raises(InvalidValue) as refused:
        ledger.note_plan_progress(plan.id, "From the 1:1", str(other.id), MANAGER)
    assert refused.value.field == "check_in_id"
    own = ledger.record_check_in(RecordCheckIn(agent_id="agent-1", **held), MANAGER)
    ledger.note_plan_progress(plan.id, "From the 1:1", str(own.id), MANAGER)
    doc = project(envelopes(ledger), "DevelopmentPlan", apply_development_plan)
    assert doc["notes"][0]["check_in_id"] == str(own.id)
