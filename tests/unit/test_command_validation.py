"""Command inputs refuse text, numbers and dates that the stores or the pipeline could not carry."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from engine.commands import RecordCheckIn, RecordProgress, ReviewFeedback, SetGoal, StartReview

GOAL: dict[str, Any] = {
    "agent_id": "agent-1",
    "team_id": "team-a",
    "title": "AHT",
    "kpi": "aht_seconds",
    "target": 300,
    "direction": "at_most",
    "period_start": "2026-10-01",
    "period_end": "2026-12-31",
    "weight": 1,
}


def fields_refused(model: type[Any], data: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        model.model_validate(data)
    return [".".join(str(p) for p in e["loc"]) for e in raised.value.errors()]


@pytest.mark.parametrize("field", ["agent_id", "team_id", "title", "description"])
@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x7f", "\ud800"])
def test_goal_text_with_a_control_character_or_lone_surrogate_is_refused(
    field: str, char: str
) -> None:
    assert fields_refused(SetGoal, {**GOAL, field: f"ab{char}cd"}) == [field]


def test_free_text_keeps_line_breaks_and_tabs_but_titles_and_ids_do_not() -> None:
    assert SetGoal.model_validate({**GOAL, "description": "line one\n\tline two\r\n"}).description
    assert fields_refused(SetGoal, {**GOAL, "title": "two\nlines"}) == ["title"]
    assert fields_refused(SetGoal, {**GOAL, "agent_id": "agent\t1"}) == ["agent_id"]


@pytest.mark.parametrize("field, limit", [("agent_id", 128), ("title", 200), ("description", 5000)])
def test_text_has_a_length_limit(field: str, limit: int) -> None:
    SetGoal.model_validate({**GOAL, field: "x" * limit})
    assert fields_refused(SetGoal, {**GOAL, field: "x" * (limit + 1)}) == [field]


@pytest.mark.parametrize(
    "field, value",
    [
        ("target", True),
        ("weight", False),
        ("target", "300"),
        ("draft", 1),
        ("draft", "true"),
        ("target", 1e13),
    ],
)
def test_booleans_are_not_numbers_and_numbers_not_booleans(field: str, value: Any) -> None:
    assert fields_refused(SetGoal, {**GOAL, field: value}) == [field]


@pytest.mark.parametrize(
    "field, value", [("period_end", "9999-12-31"), ("period_start", "1900-01-01")]
)
def test_dates_outside_2000_to_2100_are_refused(field: str, value: str) -> None:
    assert field in fields_refused(SetGoal, {**GOAL, field: value})


def test_moments_outside_the_window_are_refused_whatever_their_offset() -> None:
    data = {"value": 1, "as_of": "9999-12-31T23:59:59-01:00"}
    assert fields_refused(RecordProgress, data) == ["as_of"]


def test_nested_text_and_referenced_ids_are_checked_too() -> None:
    check_in = {
        "agent_id": "a",
        "team_id": "t",
        "held_at": "2026-10-01T10:00:00+00:00",
        "feedback": [{"kind": "positive", "behavior": "b\x00", "impact": "i", "outcome": "o"}],
        "goal_ids": ["not-a-uuid"],
    }
    assert sorted(fields_refused(RecordCheckIn, check_in)) == ["feedback.0.behavior", "goal_ids.0"]
    review = {
        "agent_id": "a",
        "team_id": "t",
        "period_start": "2026-10-01",
        "period_end": "2026-12-31",
        "criteria": ["quality\x00"],
    }
    assert fields_refused(StartReview, review) == ["criteria.0"]
    feedback = {"source": "peer", "author_id": "p", "text": "ok", "rating": True}
    assert fields_refused(ReviewFeedback, feedback) == ["rating"]


@pytest.mark.parametrize("target", [1e-320, -1e-10, float("inf"), float("nan")])
def test_targets_whose_ratios_could_overflow_are_refused(target: float) -> None:
    assert fields_refused(SetGoal, {**GOAL, "target": target}) == ["target"]


def test_zero_and_ordinary_targets_are_kept() -> None:
    assert SetGoal.model_validate({**GOAL, "target": 0}).target == 0
    assert SetGoal.model_validate({**GOAL, "target": 0.85}).target == 0.85
