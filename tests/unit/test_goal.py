"""The Goal's rules."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from aggregates.errors import InvalidValue, RuleViolation
from aggregates.goal import Goal


def new_goal(**changes: Any) -> Goal:
    fields: dict[str, Any] = {
        "agent_id": "agent-1",
        "team_id": "team-a",
        "title": "Faster calls",
        "description": "",
        "kpi": "aht_seconds",
        "target": 300.0,
        "direction": "at_most",
        "period_start": date(2026, 10, 1),
        "period_end": date(2026, 12, 31),
        "weight": 1.0,
        "actor": "manager:bob",
    }
    fields.update(changes)
    return Goal(**fields)


def test_a_new_goal_is_active_and_records_who_set_it() -> None:
    goal = new_goal()
    assert goal.status == "active" and goal.set_by == "manager:bob" and goal.version == 1


@pytest.mark.parametrize("weight", [0, -1.5])
def test_weight_must_be_positive(weight: float) -> None:
    with pytest.raises(InvalidValue) as error:
        new_goal(weight=weight)
    assert error.value.field == "weight"


@pytest.mark.parametrize("end", [date(2026, 10, 1), date(2026, 9, 30)])
def test_period_must_end_after_it_starts(end: date) -> None:
    with pytest.raises(InvalidValue) as error:
        new_goal(period_end=end)
    assert error.value.field == "period_end"


def test_direction_must_be_at_least_or_at_most() -> None:
    with pytest.raises(InvalidValue):
        new_goal(direction="around")


def test_blank_title_is_refused() -> None:
    with pytest.raises(InvalidValue):
        new_goal(title="   ")


def test_revising_keeps_before_after_reason_and_actor() -> None:
    goal = new_goal()
    goal.revise_target(target=280.0, reason="new baseline", actor="manager:carol")
    assert goal.target == 280.0
    assert goal.revisions == [
        {"before": 300.0, "after": 280.0, "reason": "new baseline", "actor": "manager:carol"}
    ]
    assert [type(e).__name__ for e in goal.collect_events()] == ["Set", "TargetRevised"]


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_revision_needs_a_reason(reason: str) -> None:
    goal = new_goal()
    with pytest.raises(InvalidValue) as error:
        goal.revise_target(target=280.0, reason=reason, actor="manager:bob")
    assert error.value.field == "reason" and goal.target == 300.0


def test_a_cancellation_needs_a_reason() -> None:
    with pytest.raises(InvalidValue):
        new_goal().cancel(reason=" ", actor="manager:bob")


def test_a_cancelled_goal_refuses_revision() -> None:
    goal = new_goal()
    goal.cancel(reason="agent moved team", actor="manager:bob")
    with pytest.raises(RuleViolation) as error:
        goal.revise_target(target=250.0, reason="too late", actor="manager:bob")
    assert error.value.ids == {"goal_id": str(goal.id)}
    assert goal.target == 300.0


def test_a_cancelled_goal_cannot_be_cancelled_again() -> None:
    goal = new_goal()
    goal.cancel(reason="agent moved team", actor="manager:bob")
    with pytest.raises(RuleViolation):
        goal.cancel(reason="again", actor="manager:bob")
