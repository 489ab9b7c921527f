"""KPI alert rules per team, as data, and their evaluation: pure functions over daily KPI values.

Two kinds of rule:
- goal_streak: an agent's daily value of a goal's KPI misses the goal's target `days`
  days in a row (e.g. AHT above its at-most target three days running);
- deviation: an agent's daily value lies `sigma` population standard deviations from
  the team's mean for that day, on the worse side (a better-than-usual day is not a
  coaching matter), among agents with at least `min_calls` calls that day.
Only judged days count: days before the evaluator's `judged_until`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from aggregates.kpis import KPI_NAMES, LOWER_IS_BETTER

Kpi = Literal[KPI_NAMES]  # type: ignore[valid-type]
DayValues = Mapping[str, Mapping[date, Mapping[str, Any]]]  # agent -> day -> KPI row


class GoalStreakRule(BaseModel):
    """Alert when an agent misses a goal's target on `days` consecutive days."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["goal_streak"] = "goal_streak"
    days: int = Field(default=3, ge=1, le=31, strict=True)
    kpis: list[Kpi] | None = Field(
        default=None, description="only goals on these KPIs (default: all)"
    )


class DeviationRule(BaseModel):
    """Alert when an agent's day is `sigma` standard deviations worse than the team's mean."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["deviation"] = "deviation"
    kpi: Kpi
    sigma: float = Field(default=1.5, gt=0, le=10, strict=True)
    min_agents: int = Field(default=4, ge=2, le=10000, strict=True)
    min_calls: int = Field(default=5, ge=0, le=1_000_000, strict=True)


Rule = Annotated[GoalStreakRule | DeviationRule, Field(discriminator="kind")]


class SetAlertRules(BaseModel):
    """A team's alert rules (they replace the previous ones)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "rules": [
                        {"kind": "goal_streak", "days": 3},
                        {"kind": "deviation", "kpi": "aht_seconds", "sigma": 1.5},
                    ]
                }
            ]
        },
    )
    rules: list[Rule] = Field(max_length=50)


DEFAULT_RULES: tuple[GoalStreakRule | DeviationRule, ...] = (
    GoalStreakRule(days=3),
    DeviationRule(kpi="aht_seconds"),
    DeviationRule(kpi="csat_avg"),
    DeviationRule(kpi="fcr_rate"),
)


def parse_rules(stored: Iterable[Mapping[str, Any]] | None) -> list[GoalStreakRule | DeviationRule]:
    """A team's stored rules, or the defaults when it has none."""
    if stored is None:
        return list(DEFAULT_RULES)
    return SetAlertRules.model_validate({"rules": list(stored)}).rules


@dataclass(frozen=True)
class Finding:
    """One tripped rule; `key` names it, so raising it again changes nothing."""

    key: str
    rule: str
    team_id: str
    agent_id: str
    kpi: str
    day: date
    value: float
    threshold: float
    summary: str
    details: dict[str, Any] = field(default_factory=dict)


def misses(value: float, target: float, direction: str) -> bool:
    return value > target if direction == "at_most" else value < target


def goal_streaks(
    team_id: str,
    rule: GoalStreakRule,
    goals: Iterable[Mapping[str, Any]],
    values: DayValues,
    judged_until: date,
) -> list[Finding]:
    """Each goal whose agent missed its target on `rule.days` consecutive judged days."""
    found = []
    for goal in goals:
        if goal.get("kpi") not in KPI_NAMES or (rule.kpis and goal["kpi"] not in rule.kpis):
            continue
        start = date.fromisoformat(goal["period_start"])
        end = min(date.fromisoformat(goal["period_end"]), judged_until - timedelta(days=1))
        run: list[tuple[date, float]] = []
        day = start
        agent_days = values.get(goal["agent_id"], {})
        while day <= end:
            value = agent_days.get(day, {}).get(goal["kpi"])
            if value is not None and misses(value, goal["target"], goal["direction"]):
                run.append((day, value))
                if len(run) == rule.days:  # once per streak: keyed by the day it started
                    found.append(_streak(team_id, rule, goal, run))
            else:
                run = []
            day += timedelta(days=1)
    return found


def _streak(
    team_id: str, rule: GoalStreakRule, goal: Mapping[str, Any], run: list[tuple[date, float]]
) -> Finding:
    first, (last, value) = run[0][0], run[-1]
    word = "above" if goal["direction"] == "at_most" else "below"
    return Finding(
        key=f"goal_streak:{goal['id']}:{first.isoformat()}",
        rule="goal_streak",
        team_id=team_id,
        agent_id=goal["agent_id"],
        kpi=goal["kpi"],
        day=last,
        value=value,
        threshold=goal["target"],
        summary=(
            f"{goal['kpi']} {word} its goal target {goal['target']:g} "
            f"for {rule.days} days in a row ({first.isoformat()} to {last.isoformat()})"
        ),
        details={
            "goal_id": goal["id"],
            "goal_title": goal.get("title"),
            "days": rule.days,
            "values": {d.isoformat(): v for d, v in run},
        },
    )


def deviations(
    team_id: str, rule: DeviationRule, values: DayValues, judged_until: date
) -> list[Finding]:
    """Agent-days worse than the team's mean for the day by more than `rule.sigma` deviations."""
    by_day: dict[date, dict[str, float]] = {}
    for agent_id, days in values.items():
        for day, row in days.items():
            value = row.get(rule.kpi)
            if (
                day < judged_until
                and value is not None
                and (row.get("calls_handled") or 0) >= rule.min_calls
            ):
                by_day.setdefault(day, {})[agent_id] = value
    found = []
    for day, agents in sorted(by_day.items()):
        if len(agents) < rule.min_agents:
            continue
        mean = sum(agents.values()) / len(agents)
        sd = math.sqrt(sum((v - mean) ** 2 for v in agents.values()) / len(agents))
        if sd == 0:
            continue
        sign = 1 if rule.kpi in LOWER_IS_BETTER else -1
        threshold = mean + sign * rule.sigma * sd
        for agent_id, value in sorted(agents.items()):
            if sign * (value - threshold) > 0:
                found.append(_deviation(team_id, rule, agent_id, day, value, threshold, mean, sd))
    return found


def _deviation(
    team_id: str,
    rule: DeviationRule,
    agent_id: str,
    day: date,
    value: float,
    threshold: float,
    mean: float,
    sd: float,
) -> Finding:
    score = (value - mean) / sd
    return Finding(
        key=f"deviation:{rule.kpi}:{agent_id}:{day.isoformat()}",
        rule="deviation",
        team_id=team_id,
        agent_id=agent_id,
        kpi=rule.kpi,
        day=day,
        value=value,
        threshold=round(threshold, 6),
        summary=(
            f"{rule.kpi} {value:.3g} on {day.isoformat()} is {abs(score):.1f} standard deviations "
            f"{'above' if score > 0 else 'below'} the team mean {mean:.3g}"
        ),
        details={
            "team_mean": round(mean, 6),
            "team_sd": round(sd, 6),
            "z": round(score, 3),
            "sigma": rule.sigma,
        },
    )


def evaluate(
    team_id: str,
    rules: Iterable[GoalStreakRule | DeviationRule],
    goals: Sequence[Mapping[str, Any]],
    values: DayValues,
    judged_until: date,
) -> list[Finding]:
    """Every finding of the team's rules over the values given."""
    found: list[Finding] = []
    for rule in rules:
        if isinstance(rule, GoalStreakRule):
            found.extend(goal_streaks(team_id, rule, goals, values, judged_until))
        else:
            found.extend(deviations(team_id, rule, values, judged_until))
    return found
