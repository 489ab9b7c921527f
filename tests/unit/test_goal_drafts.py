"""Draft goals: set as a draft, revised while a draft, activated before progress counts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aggregates.errors import RuleViolation
from engine.application import PerfLedger
from engine.commands import SetGoal
from tests.unit.test_goal import new_goal

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


def test_a_goal_set_as_a_draft_is_a_draft() -> None:
    assert new_goal(draft=True).status == "draft"
    assert new_goal().status == "active"


def test_a_draft_refuses_progress_until_activated() -> None:
    goal = new_goal(draft=True)
    with pytest.raises(RuleViolation):
        goal.record_progress(
            value=250.0, as_of=AS_OF, source="manual", note="", actor="manager:bob"
        )
    goal.activate(actor="manager:bob")
    goal.record_progress(value=250.0, as_of=AS_OF, source="manual", note="", actor="manager:bob")
    assert goal.status == "active" and goal.latest_value == 250.0


def test_a_drafts_target_may_be_revised_and_it_may_be_cancelled() -> None:
    goal = new_goal(draft=True)
    goal.revise_target(target=280.0, reason="agreed in the 1:1", actor="manager:bob")
    goal.cancel(reason="not this quarter", actor="manager:bob")
    assert goal.status == "cancelled" and goal.target == 280.0


def test_only_a_draft_can_be_activated() -> None:
    goal = new_goal()
    with pytest.raises(RuleViolation):
        goal.activate(actor="manager:bob")


def test_a_stored_draft_replays_as_a_draft_and_activation_is_an_event() -> None:
    app = PerfLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    goal = app.set_goal(
        SetGoal.model_validate(
            {
                "agent_id": "a1",
                "team_id": "t1",
                "title": "AHT",
                "kpi": "aht_seconds",
                "target": 300,
                "direction": "at_most",
                "period_start": "2026-10-01",
                "period_end": "2026-12-31",
                "draft": True,
            }
        ),
        actor="manager:bob",
    )
    assert app.repository.get(goal.id).status == "draft"
    app.activate_goal(goal.id, actor="manager:bob")
    assert app.repository.get(goal.id).status == "active"
    assert [type(e).__name__ for e in app.events.get(goal.id)] == ["Set", "Activated"]
