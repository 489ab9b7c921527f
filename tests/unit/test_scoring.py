"""Scoring policy and the pure scoring functions."""

from __future__ import annotations

import dataclasses
import math

import pytest

from aggregates.errors import InvalidValue
from aggregates.scoring import ATTAINMENT_CAP, ScoringPolicy, attainment, overall_score

CRITERIA = ("quality", "teamwork", "ownership")


def policy(goal_weight: float = 0.6, criteria: tuple[str, ...] = CRITERIA) -> ScoringPolicy:
    return ScoringPolicy(
        policy_id="agent-2025", version=3, criteria=criteria, goal_weight=goal_weight
    )


# --- attainment -------------------------------------------------------------------


def test_at_least_attainment_is_value_over_target() -> None:
    assert attainment(100, "at_least", 80) == pytest.approx(0.8)
    assert attainment(100, "at_least", 130) == pytest.approx(1.3)


def test_at_most_attainment_is_target_over_value() -> None:
    assert attainment(300, "at_most", 240) == pytest.approx(1.25)
    assert attainment(300, "at_most", 600) == pytest.approx(0.5)


def test_at_least_zero_target_is_met_by_any_value() -> None:
    assert attainment(0, "at_least", 0) == 1.0
    assert attainment(0, "at_least", 7) == 1.0


def test_at_most_zero_value_beats_a_positive_target_by_the_cap() -> None:
    assert attainment(30, "at_most", 0) == ATTAINMENT_CAP


def test_at_most_zero_value_exactly_meets_a_zero_target() -> None:
    assert attainment(0, "at_most", 0) == 1.0


def test_at_most_positive_value_misses_a_zero_target_entirely() -> None:
    assert attainment(0, "at_most", 5) == 0.0


def test_attainment_is_none_without_a_value() -> None:
    assert attainment(100, "at_least", None) is None


def test_attainment_is_none_for_negative_numbers() -> None:
    assert attainment(-10, "at_least", 5) is None
    assert attainment(10, "at_most", -5) is None


def test_attainment_refuses_an_unknown_direction() -> None:
    with pytest.raises(InvalidValue) as error:
        attainment(100, "around", 90)
    assert error.value.field == "direction"


def test_attainment_refuses_a_non_finite_target() -> None:
    with pytest.raises(InvalidValue) as error:
        attainment(math.inf, "at_least", 90)
    assert error.value.field == "target"


def test_attainment_refuses_a_non_finite_value() -> None:
    with pytest.raises(InvalidValue) as error:
        attainment(100, "at_least", math.nan)
    assert error.value.field == "value"


# --- goal part ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.0, 1.0), (0.5, 2.0), (1.0, 3.0), (1.25, 4.0), (1.5, 5.0)],
)
def test_goal_attainment_maps_onto_the_five_point_scale(value: float, expected: float) -> None:
    assert overall_score(policy(goal_weight=1.0), [(value, 1.0)], {}) == expected


def test_goal_attainment_above_the_cap_counts_as_the_cap() -> None:
    assert overall_score(policy(goal_weight=1.0), [(3.0, 1.0)], {}) == 5.0


def test_negative_goal_attainment_counts_as_zero() -> None:
    assert overall_score(policy(goal_weight=1.0), [(-0.5, 1.0)], {}) == 1.0


def test_goals_are_weighted_by_their_weights() -> None:
    # mean attainment (1.0 * 3 + 0.0 * 1) / 4 = 0.75 -> 1 + 2 * 0.75
    assert overall_score(policy(goal_weight=1.0), [(1.0, 3.0), (0.0, 1.0)], {}) == 2.5


def test_one_over_achieved_goal_is_capped_before_weighting() -> None:
    # Uncapped, 3.0 and 0.0 would average 1.5 (a 5); capped they average 0.75.
    assert overall_score(policy(goal_weight=1.0), [(3.0, 1.0), (0.0, 1.0)], {}) == 2.5


def test_unmeasured_goals_are_left_out_of_the_goal_part() -> None:
    assert overall_score(policy(goal_weight=1.0), [(None, 5.0), (1.0, 1.0)], {}) == 3.0


def test_a_non_finite_goal_attainment_is_refused() -> None:
    with pytest.raises(InvalidValue) as error:
        overall_score(policy(), [(math.nan, 1.0)], {"quality": 3})
    assert error.value.field == "goal_attainments[0].attainment"


def test_goal_weight_must_be_positive() -> None:
    with pytest.raises(InvalidValue) as error:
        overall_score(policy(), [(1.0, 0.0)], {"quality": 3})
    assert error.value.field == "goal_attainments[0].weight"


# --- criteria part and the whole ---------------------------------------------------


def test_criteria_part_is_the_mean_of_the_scores() -> None:
    assert overall_score(policy(goal_weight=0.0), [], {"quality": 4, "teamwork": 5}) == 4.5


def test_overall_blends_goals_and_criteria_by_the_policy_weights() -> None:
    # 0.6 * 3 (goals met) + 0.4 * 4 (criteria mean)
    scores = {"quality": 4, "teamwork": 4, "ownership": 4}
    assert overall_score(policy(goal_weight=0.6), [(1.0, 1.0)], scores) == 3.4


def test_without_goals_the_criteria_take_the_whole_weight() -> None:
    assert overall_score(policy(goal_weight=0.7), [], {"quality": 2}) == 2.0


def test_without_criteria_scores_the_goals_take_the_whole_weight() -> None:
    assert overall_score(policy(goal_weight=0.3), [(1.25, 1.0)], {}) == 4.0


def test_nothing_to_score_is_refused() -> None:
    with pytest.raises(InvalidValue):
        overall_score(policy(), [(None, 1.0)], {})


def test_calibration_is_added_to_the_blend() -> None:
    assert overall_score(policy(goal_weight=0.0), [], {"quality": 3}, calibration=0.5) == 3.5


def test_a_non_finite_calibration_is_refused() -> None:
    with pytest.raises(InvalidValue) as error:
        overall_score(policy(goal_weight=0.0), [], {"quality": 3}, calibration=math.inf)
    assert error.value.field == "calibration"


def test_overall_is_clamped_to_one_to_five() -> None:
    assert overall_score(policy(goal_weight=0.0), [], {"quality": 5}, calibration=0.8) == 5.0
    assert overall_score(policy(goal_weight=0.0), [], {"quality": 1}, calibration=-0.8) == 1.0


def test_overall_is_rounded_half_up_to_two_decimals() -> None:
    # Python's round(3.125, 2) gives 3.12; the documented rule gives 3.13.
    assert overall_score(policy(goal_weight=0.0), [], {"quality": 3}, calibration=0.125) == 3.13


@pytest.mark.parametrize("score", [0, 6, 3.5, True, "4"])
def test_a_criterion_score_must_be_an_integer_from_one_to_five(score: object) -> None:
    with pytest.raises(InvalidValue) as error:
        overall_score(policy(), [], {"quality": score})  # type: ignore[dict-item]
    assert error.value.field == "criteria_scores.quality"


def test_a_score_for_a_criterion_outside_the_policy_is_refused() -> None:
    with pytest.raises(InvalidValue) as error:
        overall_score(policy(), [], {"charisma": 4})
    assert error.value.field == "criteria_scores"


# --- policy --------------------------------------------------------------------------


def test_criteria_weight_is_what_the_goals_leave() -> None:
    assert policy(goal_weight=0.25).criteria_weight == pytest.approx(0.75)


@pytest.mark.parametrize("goal_weight", [-0.1, 1.1, math.nan])
def test_goal_weight_must_be_between_zero_and_one(goal_weight: float) -> None:
    with pytest.raises(InvalidValue) as error:
        policy(goal_weight=goal_weight)
    assert error.value.field == "policy.goal_weight"


def test_policy_criteria_must_be_unique() -> None:
    with pytest.raises(InvalidValue):
        policy(criteria=("quality", "quality"))


def test_policy_criteria_must_not_be_blank() -> None:
    with pytest.raises(InvalidValue):
        policy(criteria=("quality", " "))


def test_a_policy_without_criteria_must_weigh_goals_fully() -> None:
    with pytest.raises(InvalidValue):
        policy(goal_weight=0.5, criteria=())
    assert policy(goal_weight=1.0, criteria=()).criteria == ()


def test_policy_needs_an_id_and_a_positive_version() -> None:
    with pytest.raises(InvalidValue):
        ScoringPolicy(policy_id=" ", version=1, criteria=CRITERIA, goal_weight=0.5)
    with pytest.raises(InvalidValue):
        ScoringPolicy(policy_id="p", version=0, criteria=CRITERIA, goal_weight=0.5)


def test_policy_is_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy().goal_weight = 1.0  # type: ignore[misc]


def test_policy_round_trips_through_plain_data() -> None:
    original = policy()
    data = original.to_dict()
    assert data == {
        "policy_id": "agent-2025",
        "version": 3,
        "criteria": list(CRITERIA),
        "goal_weight": 0.6,
    }
    assert ScoringPolicy.from_dict(data) == original


def test_policy_data_of_another_shape_is_refused() -> None:
    with pytest.raises(InvalidValue):
        ScoringPolicy.from_dict({**policy().to_dict(), "bonus": 1})


def test_policy_data_needs_a_list_of_criteria() -> None:
    # A bare string would otherwise become one criterion per letter.
    with pytest.raises(InvalidValue) as error:
        ScoringPolicy.from_dict({**policy().to_dict(), "criteria": "quality"})
    assert error.value.field == "policy.criteria"
