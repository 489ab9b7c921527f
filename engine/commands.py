"""Command inputs: pydantic models validated at every edge (HTTP, CLI)."""

from __future__ import annotations

import math
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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


class SetGoal(Command):
    """Sets a SMART goal for one agent."""

    agent_id: str = Field(min_length=1, max_length=200)
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
    def period_is_ordered(self) -> SetGoal:
        if self.period_end <= self.period_start:
            raise ValueError("period_end must be after period_start")
        return self


class ReviseTarget(Command):
    """Changes a goal's target; the reason is kept."""

    target: float
    reason: str = Field(min_length=1, max_length=2000)

    _finite_target = field_validator("target")(finite)


class Reason(Command):
    """A command whose only input is the reason for it."""

    reason: str = Field(min_length=1, max_length=2000)
