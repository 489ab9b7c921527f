"""Overrides of KPI-measured goals, corrections of closed goals, nobody steering their own goal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from aggregates.errors import InvalidValue, RuleViolation
from aggregates.goal import Goal
from engine.application import PerfLedger
from engine.commands import AssignTemplate, CreateGoalTemplate, SetGoal
from tests.unit.test_goal import new_goal

OCT = datetime(2026, 11, 1, 12, tzinfo=UTC)
DEC = datetime(2026, 12, 15, 12, tzinfo=UTC)
AFTER = datetime(2027, 1, 1, 0, 1, tzinfo=UTC)
KPI = "system:goal-progress"


def measured(goal: Goal, value: float, as_of: datetime = OCT) -> Goal:
    goal.record_progress(value=value, as_of=as_of, source="kpi:aht_seconds", note="", actor=KPI)
    return goal


def test_a_manual_value_on_a_kpi_goal_is_an_override_event() -> None:
    goal = measured(new_goal(), 330.0)
    goal.record_progress(
        value=290.0, as_of=DEC, source="manual", note="outage", actor="manager:bob"
    )
    override = goal.collect_events()[-1]
    assert type(override).__qualname__ == "Goal.ProgressOverridden"
    assert {k: vars(override)[k] for k in ("before", "after", "kpi", "note")} == {
        "before": 330.0,
        "after": 290.0,
        "kpi": "aht_seconds",
        "note": "outage",
    }
    assert goal.overridden and goal.latest_value == 290.0


def test_the_next_kpi_value_supersedes_an_override_whatever_its_as_of() -> None:
    goal = measured(new_goal(), 330.0)
    goal.override_progress(value=290.0, as_of=DEC, note="", actor="manager:bob")
    measured(goal, 320.0, OCT)  # older than the override's as_of, still taken
    assert goal.latest_value == 320.0 and not goal.overridden
    with pytest.raises(RuleViolation):
        measured(goal, 310.0, datetime(2026, 10, 5, tzinfo=UTC))  # older than the latest KPI value


def test_a_manual_goal_has_no_override() -> None:
    goal = new_goal(kpi="manual")
    goal.record_progress(value=1.0, as_of=OCT, source="manual", note="", actor="manager:bob")
    assert type(goal.collect_events()[-1]).__qualname__ == "Goal.ProgressRecorded"
    with pytest.raises(RuleViolation):
        goal.override_progress(value=2.0, as_of=DEC, note="", actor="manager:bob")


def test_a_closed_goal_is_corrected_with_a_reason_and_its_outcome_re_evaluated() -> None:
    goal = measured(new_goal(target=300.0), 400.0)
    goal.close(as_of=AFTER, actor="manager:bob")
    assert goal.status == "missed"
    with pytest.raises(InvalidValue):
        goal.correct(value=290.0, reason=" ", actor="manager:bob")
    goal.correct(value=290.0, reason="calls of another agent were counted", actor="manager:bob")
    assert goal.status == "achieved" and goal.latest_value == 290.0 and goal.closed is not None
    assert goal.closed["outcome"] == "achieved" and goal.closed["value"] == 290.0
    (correction,) = goal.corrections
    assert (
        correction["before"],
        correction["after"],
        correction["before_outcome"],
        correction["outcome"],
    ) == (400.0, 290.0, "missed", "achieved")
    assert correction["actor"] == "manager:bob" and correction["at"] is not None


def test_only_a_closed_goal_is_corrected_and_only_with_a_change() -> None:
    goal = measured(new_goal(), 400.0)
    with pytest.raises(RuleViolation):
        goal.correct(value=290.0, reason="r", actor="manager:bob")
    goal.close(as_of=AFTER, actor="manager:bob")
    with pytest.raises(InvalidValue):
        goal.correct(value=400.0, reason="same", actor="manager:bob")


@pytest.mark.parametrize(
    "command",
    [
        lambda g: g.revise_target(target=1.0, reason="easier", actor="manager:a1"),
        lambda g: g.cancel(reason="no", actor="manager:a1"),
        lambda g: g.record_progress(
            value=1.0, as_of=OCT, source="manual", note="", actor="manager:a1"
        ),
        lambda g: g.close(as_of=AFTER, actor="a1"),
    ],
)
def test_nobody_commands_their_own_goal(command: Callable[[Goal], None]) -> None:
    goal = new_goal(agent_id="a1")
    with pytest.raises(RuleViolation, match="own goal"):
        command(goal)


def test_nobody_sets_their_own_goal_directly_or_from_a_template() -> None:
    app = PerfLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    fields = {
        "team_id": "t",
        "title": "AHT",
        "kpi": "aht_seconds",
        "target": 300,
        "direction": "at_most",
        "period_start": "2026-10-01",
        "period_end": "2026-12-31",
    }
    with pytest.raises(RuleViolation, match="own goal"):
        app.set_goal(SetGoal.model_validate({**fields, "agent_id": "bob"}), "manager:bob")
    template = app.create_goal_template(CreateGoalTemplate.model_validate(fields), "manager:bob")
    with pytest.raises(RuleViolation, match="own goal"):
        app.assign_goal_template(
            template.id, AssignTemplate(agent_ids=["a1", "bob"]), "manager:bob"
        )
