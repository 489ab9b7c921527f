"""Scoring policy as data, and the pure functions that turn evidence into scores.

Goal attainment — ``attainment(target, direction, value)``
    How far a measured value got towards a goal's target, as a ratio (1.0 = met).

    * ``at_least`` (higher is better): ``value / target``.
      A target of 0 is met by any value: 1.0.
    * ``at_most`` (lower is better): ``target / value``.
      A value of 0 beats every positive target: ``ATTAINMENT_CAP`` (1.5), the most
      the overall score ever counts; a value of 0 against a target of 0 is exactly
      met: 1.0. A positive value against a target of 0 is 0.0.
    * ``None`` when there is no value yet, or when the target or the value is
      negative (a ratio of signed numbers says nothing about progress).
    The ratio is not capped here, so read models can show 180 %; scoring caps it.

Overall score — ``overall_score(policy, goal_attainments, criteria_scores, calibration)``
    1. Goal part G. Each goal's attainment is clamped to [0, ATTAINMENT_CAP] and the
       weighted mean ``A = sum(a_i * w_i) / sum(w_i)`` is mapped onto the 1..5 scale
       so that meeting the target is "meets expectations" (3)::

           A = 0.0 -> 1      G = 1 + 2 * A             for A <= 1
           A = 1.0 -> 3      G = 3 + 4 * (A - 1)       for 1 < A <= 1.5
           A = 1.5 -> 5

       Goals whose attainment is ``None`` (not measured) are left out of the mean;
       with no measured goal there is no goal part.
    2. Criteria part C: the arithmetic mean of the criteria scores given (each an
       integer 1..5, each a criterion of the policy); with none there is no part.
    3. Base: ``goal_weight * G + criteria_weight * C``. When only one part exists it
       takes the whole weight (base = that part); when neither exists there is
       nothing to score and InvalidValue is raised.
    4. Overall: ``base + calibration``, clamped to [1, 5], rounded half up to
       2 decimals.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeGuard

from aggregates.errors import InvalidValue

SCORE_MIN = 1
SCORE_MAX = 5
ATTAINMENT_CAP = 1.5
# A calibration session nudges a score; it must not replace the evidence.
MAX_CALIBRATION = 1.0
DIRECTIONS = ("at_least", "at_most")
POLICY_KEYS = ("policy_id", "version", "criteria", "goal_weight")


@dataclass(frozen=True)
class ScoringPolicy:
    """A review template: the criteria scored and how goals weigh against them."""

    policy_id: str
    version: int
    criteria: tuple[str, ...]
    goal_weight: float

    def __post_init__(self) -> None:
        # Accept a list for convenience but keep the policy hashable and immutable.
        object.__setattr__(self, "criteria", tuple(self.criteria))
        check_policy(self)

    @property
    def criteria_weight(self) -> float:
        """The weight of the criteria part: whatever the goals do not take."""
        return 1.0 - self.goal_weight

    def to_dict(self) -> dict[str, Any]:
        """The policy as plain data, as events record it."""
        return {
            "policy_id": self.policy_id,
            "version": self.version,
            "criteria": list(self.criteria),
            "goal_weight": self.goal_weight,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScoringPolicy:
        """The policy recorded by ``to_dict``; refuses any other shape."""
        if not isinstance(data, Mapping) or set(data) != set(POLICY_KEYS):
            raise InvalidValue(f"policy must have exactly the keys {POLICY_KEYS}", field="policy")
        if not isinstance(data["criteria"], list | tuple):
            raise InvalidValue("criteria must be a list of names", field="policy.criteria")
        return cls(
            policy_id=data["policy_id"],
            version=data["version"],
            criteria=tuple(data["criteria"]),
            goal_weight=data["goal_weight"],
        )


def check_policy(policy: ScoringPolicy) -> None:
    if not isinstance(policy.policy_id, str) or not policy.policy_id.strip():
        raise InvalidValue("policy_id must not be blank", field="policy.policy_id")
    if not is_int(policy.version) or policy.version < 1:
        raise InvalidValue("version must be an integer >= 1", field="policy.version")
    check_criteria_names(policy.criteria)
    if not is_number(policy.goal_weight) or not 0 <= policy.goal_weight <= 1:
        raise InvalidValue("goal_weight must be between 0 and 1", field="policy.goal_weight")
    if not policy.criteria and policy.goal_weight != 1:
        # Without criteria the criteria weight could never be earned.
        raise InvalidValue("a policy without criteria needs goal_weight 1", field="policy.criteria")


def check_criteria_names(criteria: tuple[str, ...]) -> None:
    if any(not isinstance(name, str) or not name.strip() for name in criteria):
        raise InvalidValue("criteria names must not be blank", field="policy.criteria")
    if len(set(criteria)) != len(criteria):
        raise InvalidValue("criteria names must be unique", field="policy.criteria")


def attainment(target: float, direction: str, value: float | None) -> float | None:
    """How far ``value`` got towards ``target`` (1.0 = met); None when not measurable."""
    if direction not in DIRECTIONS:
        raise InvalidValue(f"direction must be one of {DIRECTIONS}", field="direction")
    check_finite(target, "target")
    if value is None:
        return None
    check_finite(value, "value")
    if target < 0 or value < 0:
        return None
    if direction == "at_least":
        return 1.0 if target == 0 else value / target
    return at_most_attainment(target, value)


def at_most_attainment(target: float, value: float) -> float:
    if value == 0:
        return 1.0 if target == 0 else ATTAINMENT_CAP
    return target / value


def scored_attainment(status: str, value: float | None) -> float | None:
    """A goal's attainment as scores count it: clamped to [0, ATTAINMENT_CAP].

    A cancelled goal does not count (None); a closed goal (achieved or missed) that was
    never measured counts 0, since its outcome is known; an open goal not measured yet
    is None (reviews refuse to finalise over it, roll-ups list it as unmeasured).
    """
    if status == "cancelled":
        return None
    if value is None or (is_number(value) and value < 0):
        return 0.0 if status in ("achieved", "missed") else None
    check_finite(value, "attainment")
    return clamp(value, 0.0, ATTAINMENT_CAP)


def overall_score(
    policy: ScoringPolicy,
    goal_attainments: Sequence[tuple[float | None, float]],
    criteria_scores: Mapping[str, int],
    calibration: float = 0.0,
) -> float:
    """The overall 1..5 score under ``policy``, by the formula in this module's docstring."""
    check_finite(calibration, "calibration")
    goals = goal_part(goal_attainments)
    criteria = criteria_part(policy, criteria_scores)
    if goals is None and criteria is None:
        raise InvalidValue(
            "nothing to score: no measured goal and no criterion score", field="criteria_scores"
        )
    if goals is None or criteria is None:
        base = goals if criteria is None else criteria
    else:
        base = policy.goal_weight * goals + policy.criteria_weight * criteria
    assert base is not None
    return round_half_up(clamp(base + calibration, SCORE_MIN, SCORE_MAX))


def goal_part(goal_attainments: Sequence[tuple[float | None, float]]) -> float | None:
    """Weighted, capped goal attainment on the 1..5 scale; None without measured goals."""
    measured: list[tuple[float, float]] = []
    for index, (value, weight) in enumerate(goal_attainments):
        check_weight(weight, f"goal_attainments[{index}].weight")
        if value is not None:
            check_finite(value, f"goal_attainments[{index}].attainment")
            measured.append((clamp(value, 0.0, ATTAINMENT_CAP), weight))
    if not measured:
        return None
    mean = sum(a * w for a, w in measured) / sum(w for _, w in measured)
    return 1 + 2 * mean if mean <= 1 else 3 + 4 * (mean - 1)


def criteria_part(policy: ScoringPolicy, criteria_scores: Mapping[str, int]) -> float | None:
    """Mean of the criteria scores given; None when none is given."""
    for name, score in criteria_scores.items():
        if name not in policy.criteria:
            raise InvalidValue(
                f"{name!r} is not a criterion of policy {policy.policy_id}", field="criteria_scores"
            )
        check_score(score, f"criteria_scores.{name}")
    if not criteria_scores:
        return None
    return sum(criteria_scores.values()) / len(criteria_scores)


def check_score(value: object, field: str) -> None:
    """Refuses anything but an integer from 1 to 5."""
    if not is_int(value) or not SCORE_MIN <= value <= SCORE_MAX:
        raise InvalidValue(f"must be an integer from {SCORE_MIN} to {SCORE_MAX}", field=field)


def check_weight(value: object, field: str) -> None:
    if not is_number(value) or not math.isfinite(value) or value <= 0:
        raise InvalidValue("weight must be a number greater than 0", field=field)


def check_finite(value: object, field: str) -> None:
    if not is_number(value) or not math.isfinite(value):
        raise InvalidValue("must be a finite number", field=field)


def is_int(value: object) -> TypeGuard[int]:
    # bool is an int subclass, but True is not a score.
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def round_half_up(value: float) -> float:
    # repr gives the shortest decimal that round-trips, so 3.125 rounds to 3.13, not 3.12.
    return float(Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
