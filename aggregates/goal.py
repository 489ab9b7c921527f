"""Goal: a SMART target for one agent over a period, with its lifecycle."""

from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.domain import Aggregate, event

from aggregates.errors import InvalidValue, RuleViolation

DIRECTIONS = ("at_least", "at_most")
OPEN_STATUSES = ("active",)


class Goal(Aggregate):
    """A goal set for an agent: KPI (or manual measure), target, direction, period, weight."""

    @event("Set")
    def __init__(
        self,
        *,
        agent_id: str,
        team_id: str,
        title: str,
        description: str,
        kpi: str,
        target: float,
        direction: str,
        period_start: date,
        period_end: date,
        weight: float,
        actor: str,
    ) -> None:
        check_goal_fields(title, direction, period_start, period_end, weight)
        self.agent_id = agent_id
        self.team_id = team_id
        self.title = title
        self.description = description
        self.kpi = kpi
        self.target = target
        self.direction = direction
        self.period_start = period_start
        self.period_end = period_end
        self.weight = weight
        self.status = "active"
        self.set_by = actor
        self.revisions: list[dict[str, Any]] = []
        self.cancel_reason: str | None = None

    def revise_target(self, *, target: float, reason: str, actor: str) -> None:
        """Changes the target, keeping the old one, the reason and who changed it."""
        self.check_open("revise the target of")
        check_reason(reason, "reason")
        self._target_revised(before=self.target, after=target, reason=reason.strip(), actor=actor)

    @event("TargetRevised")
    def _target_revised(self, *, before: float, after: float, reason: str, actor: str) -> None:
        self.target = after
        self.revisions.append({"before": before, "after": after, "reason": reason, "actor": actor})

    def cancel(self, *, reason: str, actor: str) -> None:
        """Cancels the goal; a cancelled goal accepts no further changes."""
        self.check_open("cancel")
        check_reason(reason, "reason")
        self._cancelled(reason=reason.strip(), actor=actor)

    @event("Cancelled")
    def _cancelled(self, *, reason: str, actor: str) -> None:
        self.status = "cancelled"
        self.cancel_reason = reason

    def check_open(self, doing: str) -> None:
        if self.status not in OPEN_STATUSES:
            raise RuleViolation(
                f"cannot {doing} a goal that is {self.status}", goal_id=str(self.id)
            )


def check_goal_fields(
    title: str, direction: str, period_start: date, period_end: date, weight: float
) -> None:
    if not title.strip():
        raise InvalidValue("title must not be blank", field="title")
    if direction not in DIRECTIONS:
        raise InvalidValue(f"direction must be one of {DIRECTIONS}", field="direction")
    if period_end <= period_start:
        raise InvalidValue("period_end must be after period_start", field="period_end")
    if not weight > 0:
        raise InvalidValue("weight must be greater than 0", field="weight")


def check_reason(reason: str, field: str) -> None:
    if not reason or not reason.strip():
        raise InvalidValue("a reason is required", field=field)
