"""Goal progress, attainment and closing at period end."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from aggregates.errors import InvalidValue, RuleViolation
from aggregates.goal import Goal
from tests.unit.test_goal import new_goal

AUG = datetime(2026, 11, 1, 12, tzinfo=UTC)
DEC = datetime(2026, 12, 15, 12, tzinfo=UTC)
AFTER = datetime(2027, 1, 1, 0, 1, tzinfo=UTC)


def progressed(goal: Goal, value: float, as_of: datetime = AUG, **changes: Any) -> Goal:
    fields: dict[str, Any] = {
        "value": value,
        "as_of": as_of,
        "source": "kpi:aht_seconds",
        "note": "",
        "actor": "system:progress",
    }
    goal.record_progress(**{**fields, **changes})
    return goal


def test_progress_keeps_the_value_before_and_after() -> None:
    goal = progressed(progressed(new_goal(), 330.0), 310.0, DEC, note="better")
    events: list[Any] = list(goal.collect_events())
    assert [(e.before, e.after) for e in events[1:]] == [(None, 330.0), (330.0, 310.0)]
    assert goal.latest_progress == {
        "value": 310.0,
        "as_of": DEC,
        "source": "kpi:aht_seconds",
        "note": "better",
        "actor": "system:progress",
    }
    assert goal.progress_count == 2


def test_attainment_of_an_at_most_goal_is_target_over_value() -> None:
    assert progressed(new_goal(target=300.0), 400.0).attainment == 0.75


def test_attainment_of_an_at_least_goal_is_value_over_target() -> None:
    goal = progressed(new_goal(kpi="fcr_rate", direction="at_least", target=0.8), 0.6)
    assert goal.attainment == pytest.approx(0.75)


def test_attainment_follows_a_revised_target() -> None:
    goal = progressed(new_goal(target=300.0), 400.0)
    goal.revise_target(target=400.0, reason="new product line", actor="manager:bob")
    assert goal.attainment == 1.0


def test_a_goal_without_progress_has_no_attainment() -> None:
    assert new_goal().attainment is None


@pytest.mark.parametrize("as_of", [datetime(2026, 9, 30, 23, tzinfo=UTC), AFTER])
def test_progress_must_fall_in_the_goals_period(as_of: datetime) -> None:
    with pytest.raises(InvalidValue) as error:
        progressed(new_goal(), 300.0, as_of)
    assert error.value.field == "as_of"


def test_progress_needs_a_time_with_an_offset() -> None:
    with pytest.raises(InvalidValue):
        progressed(new_goal(), 300.0, datetime(2026, 11, 1, 12))


def test_progress_older_than_the_latest_is_refused() -> None:
    goal = progressed(new_goal(), 300.0, DEC)
    with pytest.raises(RuleViolation):
        progressed(goal, 250.0, AUG)
    assert goal.latest_value == 300.0


@pytest.mark.parametrize("value", [float("nan"), float("inf"), True])
def test_progress_must_be_a_finite_number(value: Any) -> None:
    with pytest.raises(InvalidValue) as error:
        progressed(new_goal(), value)
    assert error.value.field == "value"


def test_progress_needs_a_source() -> None:
    with pytest.raises(InvalidValue) as error:
        progressed(new_goal(), 300.0, source=" ")
    assert error.value.field == "source"


def test_a_cancelled_goal_refuses_progress() -> None:
    goal = new_goal()
    goal.cancel(reason="moved", actor="manager:bob")
    with pytest.raises(RuleViolation):
        progressed(goal, 300.0)


def test_a_goal_cannot_close_before_its_period_is_over() -> None:
    with pytest.raises(InvalidValue) as error:
        new_goal().close(as_of=datetime(2026, 12, 31, 23, tzinfo=UTC), actor="manager:bob")
    assert error.value.field == "as_of"


def test_closing_a_met_goal_achieves_it() -> None:
    goal = progressed(new_goal(target=300.0), 300.0)
    goal.close(as_of=AFTER, actor="manager:bob")
    assert goal.status == "achieved"
    assert goal.closed is not None and goal.closed["attainment"] == 1.0


def test_closing_an_unmet_goal_misses_it() -> None:
    goal = progressed(new_goal(target=300.0), 301.0)
    goal.close(as_of=AFTER, actor="manager:bob")
    assert goal.status == "missed"


def test_a_goal_never_measured_is_missed_at_close() -> None:
    goal = new_goal()
    goal.close(as_of=AFTER, actor="manager:bob")
    assert goal.status == "missed" and goal.closed is not None and goal.closed["value"] is None


def test_a_closed_goal_refuses_progress_revision_and_a_second_close() -> None:
    goal = progressed(new_goal(), 300.0)
    goal.close(as_of=AFTER, actor="manager:bob")
    with pytest.raises(RuleViolation):
        progressed(goal, 200.0, DEC)
    with pytest.raises(RuleViolation):
        goal.revise_target(target=1.0, reason="x", actor="manager:bob")
    with pytest.raises(RuleViolation):
        goal.close(as_of=AFTER, actor="manager:bob")
