"""Command inputs: pydantic models validated at every edge (HTTP, CLI)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

KPIS = (
    "calls_handled", "aht_seconds", "avg_hold_seconds", "fcr_rate", "transfer_rate",
    "csat_avg", "csat_top2_rate", "qa_avg", "adherence_rate", "occupancy_rate", "manual",
)


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


class GoalFields(Command):
    """The SMART fields a goal and a goal template share."""

    team_id: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    kpi: Literal[KPIS] = "manual"  # type: ignore[valid-type]
    target: float
    direction: Literal["at_least", "at_most"]
    period_start: date
    period_end: date
    weight: float = Field(default=1.0, gt=0, le=1000)

    _finite_target = field_validator("target")(finite)

    @model_validator(mode="after")
    def period_is_ordered(self) -> GoalFields:
        if self.period_end <= self.period_start:
            raise ValueError("period_end must be after period_start")
        return self


class SetGoal(GoalFields):
    """Sets a SMART goal for one agent, active at once or as a draft to activate later."""

    agent_id: str = Field(min_length=1, max_length=200)
    draft: bool = False


class ReviseTarget(Command):
    """Changes a goal's target; the reason is kept."""

    target: float
    reason: str = Field(min_length=1, max_length=2000)

    _finite_target = field_validator("target")(finite)


class Reason(Command):
    """A command whose only input is the reason for it."""

    reason: str = Field(min_length=1, max_length=2000)


Text = Field(min_length=1, max_length=2000)
Id = Field(min_length=1, max_length=200)


class RecordProgress(Command):
    """A measured value of a goal as of a time (manual progress over HTTP)."""

    value: float
    as_of: AwareDatetime
    note: str = Field(default="", max_length=2000)

    _finite_value = field_validator("value")(finite)


class CorrectGoal(Command):
    """A closed goal's measured value corrected, with the reason (kept in the trail)."""

    value: float
    reason: str = Field(min_length=1, max_length=2000)

    _finite_value = field_validator("value")(finite)


class CloseGoal(Command):
    """Closes a goal after its period; as_of defaults to now and may not be in the future."""

    as_of: AwareDatetime | None = None

    @field_validator("as_of")
    @classmethod
    def not_in_the_future(cls, value: datetime | None) -> datetime | None:
        if value is not None and value > datetime.now(UTC):
            raise ValueError("must not be in the future")
        return value


class CreateGoalTemplate(GoalFields):
    """A goal for a team, to be assigned to many of its agents."""


class AssignTemplate(Command):
    """Assigns a goal template to every agent named (the team's agents, from the caller)."""

    agent_ids: list[str] = Field(min_length=1, max_length=5000)

    @field_validator("agent_ids")
    @classmethod
    def distinct_and_not_blank(cls, value: list[str]) -> list[str]:
        if any(not agent.strip() for agent in value):
            raise ValueError("agent ids must not be blank")
        if len(set(value)) != len(value):
            raise ValueError("an agent is listed twice")
        return value


class FeedbackItem(Command):
    """Positive (behaviour, impact, appreciation) or constructive (…, desired outcome)."""

    kind: Literal["positive", "constructive"]
    behavior: str = Text
    impact: str = Text
    outcome: str = Text

    def as_domain(self) -> dict[str, str]:
        """The domain's shape: the outcome is an appreciation or a desired outcome."""
        name = "appreciation" if self.kind == "positive" else "desired_outcome"
        return {"kind": self.kind, "behavior": self.behavior, "impact": self.impact,
                name: self.outcome}


class ActionItem(Command):
    """Something to do by a date, owned by someone."""

    description: str = Text
    owner_id: str = Id
    due: date


class RecordCheckIn(Command):
    """A 1:1 held by the caller with an agent."""

    agent_id: str = Id
    team_id: str = Id
    held_at: AwareDatetime
    notes: str = Field(default="", max_length=20000)
    goal_ids: list[str] = Field(default_factory=list, max_length=100)
    feedback: list[FeedbackItem] = Field(default_factory=list, max_length=100)
    action_items: list[ActionItem] = Field(default_factory=list, max_length=100)


class StartReview(Command):
    """A review of one agent's period, under a stored policy or inline criteria."""

    agent_id: str = Id
    team_id: str = Id
    period_start: date
    period_end: date
    goal_ids: list[str] = Field(default_factory=list, max_length=100)
    criteria: list[str] | None = None
    goal_weight: float = Field(default=0.5, ge=0, le=1)
    policy_id: str | None = None
    policy_version: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def one_policy_source(self) -> StartReview:
        if (self.criteria is None) == (self.policy_id is None):
            raise ValueError("give either criteria or policy_id")
        if self.period_end <= self.period_start:
            raise ValueError("period_end must be after period_start")
        return self


class ScoreCriterion(Command):
    """A criterion's score with its rationale; a reason when it changes a score."""

    criterion: str = Id
    score: int = Field(ge=1, le=5, strict=True)
    rationale: str = Text
    reason: str | None = Field(default=None, max_length=2000)


class ReviewFeedback(Command):
    """A 360-degree input."""

    source: Literal["self", "peer", "manager", "customer"]
    author_id: str = Id
    text: str = Field(min_length=1, max_length=5000)
    rating: int = Field(ge=1, le=5, strict=True)


class Calibrate(Command):
    """An adjustment of the overall score agreed in calibration."""

    adjustment: float
    reason: str = Text

    _finite_adjustment = field_validator("adjustment")(finite)


class Dispute(Command):
    """The agent disputes the overall score, or one criterion's."""

    reason: str = Text
    criterion: str | None = None


class PublishReviewTemplate(Command):
    """A scoring policy: the criteria and the weight of goals against them."""

    policy_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(default="", max_length=200)
    criteria: list[str] = Field(max_length=50)
    goal_weight: float = Field(ge=0, le=1)
