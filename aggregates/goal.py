"""Goal: a SMART target for one agent over a period, with its lifecycle.

Lifecycle: draft -> active -> achieved | missed (closed after the period ends), or
cancelled from draft or active. A goal is set active unless it is set as a draft; a
draft's target may be revised, but progress is recorded only once it is active.
Progress (a measured value as of a time, from a source) may be recorded while active;
attainment is ``scoring.attainment`` of the latest value against the current target.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from aggregates.errors import InvalidValue, RuleViolation
from aggregates.scoring import attainment

DIRECTIONS = ("at_least", "at_most")
OPEN_STATUSES = ("draft", "active")
CLOSED_STATUSES = ("achieved", "missed")


class Goal(Aggregate):
    """A goal set for an agent: KPI (or manual measure), target, direction, period, weight."""

    # Version 2 of the aggregate's state adds template_id and the progress fields, so
    # snapshots taken before them still load (see upcast_v1_v2).
    class_version = 2

    class Set(Aggregate.Created):
        """The goal was set (version 2 adds template_id, the goal template it came from;
        version 3 adds draft: set as a draft, to be activated later)."""

        agent_id: str
        team_id: str
        title: str
        description: str
        kpi: str
        target: float
        direction: str
        period_start: date
        period_end: date
        weight: float
        actor: str
        template_id: str | None
        draft: bool

        class_version = 3

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["template_id"] = None

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["draft"] = False

    # template_id is positional-or-keyword because eventsourcing requires every
    # keyword-only parameter of a decorated method; its default keeps old callers working.
    @event(Set)
    def __init__(
        self,
        template_id: str | None = None,
        draft: bool = False,
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
        self.status = "draft" if draft else "active"
        self.set_by = actor
        self.revisions: list[dict[str, Any]] = []
        self.cancel_reason: str | None = None
        self.template_id = template_id
        self.latest_progress: dict[str, Any] | None = None
        self.progress_count = 0
        self.closed: dict[str, Any] | None = None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Snapshot state of version 1 (before progress and templates) as version 2."""
        state.update(template_id=None, latest_progress=None, progress_count=0, closed=None)

    @property
    def latest_value(self) -> float | None:
        """The latest measured value, or None before any progress."""
        return None if self.latest_progress is None else float(self.latest_progress["value"])

    @property
    def attainment(self) -> float | None:
        """How far the latest value got towards the current target (1.0 = met)."""
        return attainment(self.target, self.direction, self.latest_value)

    def revise_target(self, *, target: float, reason: str, actor: str) -> None:
        """Changes the target, keeping the old one, the reason and who changed it."""
        self.check_open("revise the target of")
        check_reason(reason, "reason")
        self._target_revised(before=self.target, after=target, reason=reason.strip(), actor=actor)

    @event("TargetRevised")
    def _target_revised(self, *, before: float, after: float, reason: str, actor: str) -> None:
        self.target = after
        self.revisions.append({"before": before, "after": after, "reason": reason, "actor": actor})

    def activate(self, *, actor: str) -> None:
        """Makes a draft goal active: from now on progress is recorded against it."""
        if self.status != "draft":
            raise RuleViolation(f"only a draft goal can be activated; this one is {self.status}",
                                goal_id=str(self.id))
        self._activated(actor=actor)

    @event("Activated")
    def _activated(self, *, actor: str) -> None:
        self.status = "active"

    def record_progress(
        self, *, value: float, as_of: datetime, source: str, note: str, actor: str
    ) -> None:
        """Records a measured value as of a time; keeps the value before it (a score change)."""
        self.check_active("record progress on")
        check_finite(value, "value")
        check_text(source, "source")
        self.check_as_of(as_of)
        before = self.latest_value
        self._progress_recorded(before=before, after=float(value), as_of=as_of,
                                source=source.strip(), note=note.strip(), actor=actor)

    @event("ProgressRecorded")
    def _progress_recorded(
        self, before: float | None, after: float, as_of: datetime, source: str, note: str,
        actor: str,
    ) -> None:
        self.latest_progress = {"value": after, "as_of": as_of, "source": source, "note": note,
                                "actor": actor}
        self.progress_count += 1

    def close(self, *, as_of: datetime, actor: str) -> None:
        """Closes the goal after its period: achieved when attainment >= 1, else missed."""
        self.check_active("close")
        check_aware(as_of, "as_of")
        # The period's last day is included: a goal closes only once that day is over.
        if as_of.astimezone(UTC).date() <= self.period_end:
            raise InvalidValue(f"the period runs until {self.period_end}; close after it",
                               field="as_of", goal_id=str(self.id))
        reached = self.attainment
        outcome = "achieved" if reached is not None and reached >= 1 else "missed"
        self._closed(outcome=outcome, value=self.latest_value, attainment=reached,
                     target=self.target, as_of=as_of, actor=actor)

    @event("Closed")
    def _closed(
        self, outcome: str, value: float | None, attainment: float | None, target: float,
        as_of: datetime, actor: str,
    ) -> None:
        self.status = outcome
        self.closed = {"outcome": outcome, "value": value, "attainment": attainment,
                       "target": target, "as_of": as_of, "actor": actor}

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

    def check_active(self, doing: str) -> None:
        if self.status != "active":
            raise RuleViolation(f"cannot {doing} a goal that is {self.status}", goal_id=str(self.id))

    def check_as_of(self, as_of: datetime) -> None:
        check_aware(as_of, "as_of")
        day = as_of.astimezone(UTC).date()
        if not self.period_start <= day <= self.period_end:
            raise InvalidValue(
                f"as_of must fall in the goal's period {self.period_start}..{self.period_end}",
                field="as_of", goal_id=str(self.id),
            )
        # Progress replaces the latest value, so an older measurement arriving late
        # would silently roll the goal back; the caller must send a newer one.
        if self.latest_progress is not None and as_of < self.latest_progress["as_of"]:
            raise RuleViolation(
                f"progress as of {as_of.isoformat()} is older than the latest "
                f"({self.latest_progress['as_of'].isoformat()})", goal_id=str(self.id),
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


def check_text(value: object, field: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue("must not be blank", field=field)


def check_finite(value: object, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidValue("must be a finite number", field=field)


def check_aware(value: object, field: str) -> None:
    # A naive time is ambiguous across the contact centre's time zones.
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidValue("must be a date-time with a UTC offset", field=field)
