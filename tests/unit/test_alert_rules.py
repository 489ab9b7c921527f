"""Team KPI alert rules: goal-target streaks and deviations from the team mean (pure)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from engine.alert_rules import (
    DEFAULT_RULES,
    DeviationRule,
    GoalStreakRule,
    SetAlertRules,
    deviations,
    goal_streaks,
    parse_rules,
)

D = date(2026, 10, 5)
GOAL = {
    "id": "g1",
    "agent_id": "a1",
    "kpi": "aht_seconds",
    "target": 300.0,
    "direction": "at_most",
    "period_start": "2026-10-01",
    "period_end": "2026-12-31",
    "title": "AHT",
}


def days(*values: float | None, start: date = D, calls: int = 10) -> dict[date, dict[str, Any]]:
    return {
        start + timedelta(days=n): {"aht_seconds": v, "csat_avg": v, "calls_handled": calls}
        for n, v in enumerate(values)
        if v is not None
    }


def test_three_days_above_an_at_most_target_raise_one_alert_keyed_by_the_streak_start() -> None:
    found = goal_streaks(
        "t1",
        GoalStreakRule(days=3),
        [GOAL],
        {"a1": days(310, 320, 330, 340, 350)},
        judged_until=D + timedelta(days=10),
    )
    assert [(f.key, f.day, f.value) for f in found] == [
        ("goal_streak:g1:2026-10-05", D + timedelta(days=2), 330)
    ]
    assert found[0].details["values"] == {"2026-10-05": 310, "2026-10-06": 320, "2026-10-07": 330}


def test_a_met_day_or_a_day_without_data_breaks_the_streak() -> None:
    values = {"a1": days(310, 320, 290, 330, None, 340, 350)}
    assert (
        goal_streaks(
            "t1", GoalStreakRule(days=3), [GOAL], values, judged_until=D + timedelta(days=10)
        )
        == []
    )


def test_days_not_yet_judged_do_not_count_toward_a_streak() -> None:
    values = {"a1": days(310, 320, 330)}
    assert (
        goal_streaks(
            "t1", GoalStreakRule(days=3), [GOAL], values, judged_until=D + timedelta(days=2)
        )
        == []
    )


def test_an_at_least_goal_streaks_below_its_target_and_kpi_filters_apply() -> None:
    goal = {**GOAL, "kpi": "csat_avg", "target": 4.0, "direction": "at_least"}
    values = {"a1": days(3.5, 3.9, 3.0)}
    assert len(goal_streaks("t1", GoalStreakRule(), [goal], values, D + timedelta(days=9))) == 1
    assert (
        goal_streaks(
            "t1", GoalStreakRule(kpis=["aht_seconds"]), [goal], values, D + timedelta(days=9)
        )
        == []
    )


def test_a_deviation_is_flagged_on_the_worse_side_only() -> None:
    values = {f"a{n}": days(300) for n in range(6)}
    values["slow"] = days(600)
    values["fast"] = days(100)
    found = deviations(
        "t1", DeviationRule(kpi="aht_seconds", sigma=1.5), values, D + timedelta(days=1)
    )
    assert [(f.agent_id, f.key) for f in found] == [
        ("slow", "deviation:aht_seconds:slow:2026-10-05")
    ]
    assert found[0].details["z"] > 1.5


def test_a_higher_is_better_kpi_flags_low_values() -> None:
    values = {f"a{n}": days(4.5) for n in range(6)}
    values["unhappy"] = days(2.0)
    found = deviations("t1", DeviationRule(kpi="csat_avg"), values, D + timedelta(days=1))
    assert [f.agent_id for f in found] == ["unhappy"]


def test_deviation_needs_enough_agents_and_calls() -> None:
    few = {"a": days(300), "b": days(300), "c": days(900)}
    assert (
        deviations("t1", DeviationRule(kpi="aht_seconds", min_agents=4), few, D + timedelta(days=1))
        == []
    )
    quiet = {**{f"a{n}": days(300) for n in range(6)}, "new": days(900, calls=1)}
    assert deviations("t1", DeviationRule(kpi="aht_seconds"), quiet, D + timedelta(days=1)) == []


def test_a_team_without_rules_gets_the_defaults_and_bad_rules_are_refused() -> None:
    assert parse_rules(None) == list(DEFAULT_RULES)
    assert parse_rules([{"kind": "deviation", "kpi": "qa_avg", "sigma": 2}])[0] == DeviationRule(
        kpi="qa_avg", sigma=2
    )
    with pytest.raises(ValidationError):
        SetAlertRules.model_validate({"rules": [{"kind": "deviation", "kpi": "nonsense"}]})
