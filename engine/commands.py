"""Command inputs: pydantic models validated at every edge (HTTP, CLI)."""

from __future__ import annotations

import math
import unicodedata
from datetime import UTC, date, datetime, time
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    field_validator,
    model_validator,
)

from aggregates.kpis import KPI_NAMES

# What a goal may be measured by: a KPI of the catalogue, or a manual measure.
KPIS = (*KPI_NAMES, "manual")


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# Every text field is checked at the door: text that PostgreSQL refuses (NUL), that cannot
# be encoded (lone surrogates) or that breaks logs and Kafka keys (control characters) would
# otherwise be stored and then stop a projector far from here.
MAX_ID_LENGTH = 128  # the telephony contract's limit, so any telephony agent can have goals
MAX_MAGNITUDE = 1e12  # targets and measured values: far beyond any KPI, short of float overflow
MIN_MAGNITUDE = 1e-9
EARLIEST_DAY, LATEST_DAY = date(2000, 1, 1), date(2100, 1, 1)
EARLIEST = datetime.combine(EARLIEST_DAY, time(), tzinfo=UTC)
LATEST = datetime.combine(LATEST_DAY, time(), tzinfo=UTC)
LINE_BREAKS = frozenset("\t\n\r")
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


def control_character(value: str, allowed: frozenset[str] = frozenset()) -> str | None:
    """The first control character (or lone surrogate) in the text, if any."""
    return next(
        (
            char
            for char in value
            if char not in allowed and unicodedata.category(char) in ("Cc", "Cs")
        ),
        None,
    )


def _refuse(value: str, allowed: frozenset[str] = frozenset()) -> str:
    found = control_character(value, allowed)
    if found is not None:
        raise ValueError(f"must not contain control characters (found U+{ord(found):04X})")
    return value


def single_line(value: str) -> str:
    """Names and titles: no control characters at all."""
    return _refuse(value)


def free_text(value: str) -> str:
    """Notes, descriptions, reasons: line breaks and tabs, but no other control characters."""
    return _refuse(value, LINE_BREAKS)


def identifier(value: str) -> str:
    """Ids are printable: no control, format or separator characters besides the space."""
    if not value.isprintable():
        raise ValueError("must contain printable characters only")
    return value


def plausible(value: float) -> float:
    if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
        raise ValueError(f"must be a finite number within ±{MAX_MAGNITUDE:g}")
    # Ratios of targets and values must stay finite (1e-320 as a target made 300/target inf).
    if value != 0 and abs(value) < MIN_MAGNITUDE:
        raise ValueError(f"must be 0 or at least {MIN_MAGNITUDE:g} in magnitude")
    return value + 0.0  # -0.0 is 0


def day_in_window(value: date) -> date:
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise ValueError(f"must be between {EARLIEST_DAY} and {LATEST_DAY}")
    return value


def moment_in_window(value: datetime) -> datetime:
    moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if not EARLIEST <= moment <= LATEST:
        raise ValueError(f"must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}")
    return value


Id = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH), AfterValidator(identifier)]
AggregateId = Annotated[str, Field(pattern=UUID_PATTERN, description="a UUID")]
Title = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(single_line)]
Name = Annotated[str, Field(max_length=200), AfterValidator(single_line)]
Text = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(free_text)]
Note = Annotated[str, Field(max_length=2000), AfterValidator(free_text)]
LongText = Annotated[str, Field(max_length=20000), AfterValidator(free_text)]
# Strict: true is not 1 and "3" is not 3; JSON integers are still numbers.
Number = Annotated[float, Strict(), AfterValidator(plausible)]
Flag = Annotated[bool, Strict()]
Day = Annotated[date, AfterValidator(day_in_window)]
Moment = Annotated[AwareDatetime, AfterValidator(moment_in_window)]


class GoalFields(Command):
    """The SMART fields a goal and a goal template share."""

    team_id: Id
    title: Title
    description: Annotated[str, Field(max_length=5000), AfterValidator(free_text)] = ""
    kpi: Literal[KPIS] = "manual"  # type: ignore[valid-type]
    target: Number
    direction: Literal["at_least", "at_most"]
    period_start: Day
    period_end: Day
    weight: Annotated[float, Strict(), Field(gt=0, le=1000)] = 1.0

    @model_validator(mode="after")
    def period_is_ordered(self) -> GoalFields:
        if self.period_end <= self.period_start:
            raise ValueError("period_end must be after period_start")
        return self


class SetGoal(GoalFields):
    """Sets a SMART goal for one agent, active at once or as a draft to activate later."""

    agent_id: Id
    draft: Flag = False


class ReviseTarget(Command):
    """Changes a goal's target; the reason is kept."""

    target: Number
    reason: Text


class Reason(Command):
    """A command whose only input is the reason for it."""

    reason: Text


class RecordProgress(Command):
    """A measured value of a goal as of a time (manual progress over HTTP)."""

    value: Number
    as_of: Moment
    note: Note = ""


class CorrectGoal(Command):
    """A closed goal's measured value corrected, with the reason (kept in the trail)."""

    value: Number
    reason: Text


class CloseGoal(Command):
    """Closes a goal after its period; as_of defaults to now and may not be in the future."""

    as_of: Moment | None = None

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

    agent_ids: list[Id] = Field(min_length=1, max_length=5000)

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
    behavior: Text
    impact: Text
    outcome: Text

    def as_domain(self) -> dict[str, str]:
        """The domain's shape: the outcome is an appreciation or a desired outcome."""
        name = "appreciation" if self.kind == "positive" else "desired_outcome"
        return {
            "kind": self.kind,
            "behavior": self.behavior,
            "impact": self.impact,
            name: self.outcome,
        }


class ActionItem(Command):
    """Something to do by a date, owned by someone."""

    description: Text
    owner_id: Id
    due: Day


class RecordCheckIn(Command):
    """A 1:1 held by the caller with an agent."""

    agent_id: Id
    team_id: Id
    held_at: Moment
    notes: LongText = ""
    goal_ids: list[AggregateId] = Field(default_factory=list, max_length=100)
    feedback: list[FeedbackItem] = Field(default_factory=list, max_length=100)
    action_items: list[ActionItem] = Field(default_factory=list, max_length=100)


class StartReview(Command):
    """A review of one agent's period, under a stored policy or inline criteria."""

    agent_id: Id
    team_id: Id
    period_start: Day
    period_end: Day
    goal_ids: list[AggregateId] = Field(default_factory=list, max_length=100)
    criteria: list[Id] | None = Field(default=None, max_length=50)
    goal_weight: Annotated[float, Strict(), Field(ge=0, le=1)] = 0.5
    policy_id: Id | None = None
    policy_version: Annotated[int, Strict(), Field(ge=1, le=1_000_000)] | None = None

    @model_validator(mode="after")
    def one_policy_source(self) -> StartReview:
        if (self.criteria is None) == (self.policy_id is None):
            raise ValueError("give either criteria or policy_id")
        if self.period_end <= self.period_start:
            raise ValueError("period_end must be after period_start")
        return self


class ScoreCriterion(Command):
    """A criterion's score with its rationale; a reason when it changes a score."""

    criterion: Id
    score: int = Field(ge=1, le=5, strict=True)
    rationale: Text
    reason: Note | None = None


class ReviewFeedback(Command):
    """A 360-degree input."""

    source: Literal["self", "peer", "manager", "customer"]
    # Who gave the input; unset: the caller (a peer giving input on their own screen).
    author_id: Id | None = None
    text: Annotated[str, Field(min_length=1, max_length=5000), AfterValidator(free_text)]
    rating: int = Field(ge=1, le=5, strict=True)


class Calibrate(Command):
    """An adjustment of the overall score agreed in calibration."""

    adjustment: Number
    reason: Text


class Dispute(Command):
    """The agent disputes the overall score, or one criterion's."""

    reason: Text
    criterion: Id | None = None


class PublishReviewTemplate(Command):
    """A scoring policy: the criteria and the weight of goals against them."""

    policy_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    name: Name = ""
    criteria: list[Id] = Field(max_length=50)
    goal_weight: Annotated[float, Strict(), Field(ge=0, le=1)]
