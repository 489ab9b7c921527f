"""Goal: a SMART target for one agent over a period, with its lifecycle.

Lifecycle: draft -> active -> achieved | missed (closed after the period ends), or
cancelled from draft or active. A goal is set active unless it is set as a draft; a
draft's target may be revised, but progress is recorded only once it is active.
Progress (a measured value as of a time, from a source) may be recorded while active;
attainment is ``scoring.attainment`` of the latest value against the current target.

A goal measured by a KPI takes its values from the goal-progress process manager. A
value given by hand is recorded as an explicit override (``ProgressOverridden``): the
trail shows it, and the next KPI value supersedes it whatever its ``as_of``. A closed
goal is changed only by a reasoned correction (``Corrected``), which re-evaluates
achieved/missed. Nobody commands their own goal: the rules compare persons.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from aggregates.actors import person
from aggregates.errors import InvalidValue, RuleViolation
from aggregates.ids import new_id
from aggregates.scoring import attainment

DIRECTIONS = ("at_least", "at_most")
OPEN_STATUSES = ("draft", "active")
CLOSED_STATUSES = ("achieved", "missed")


class Goal(Aggregate):
    """A goal set for an agent: KPI (or manual measure), target, direction, period, weight."""

    # Random, or derived from an Idempotency-Key so that a retried create is stored once.
    create_id = staticmethod(new_id)

    # Version 2 of the aggregate's state adds template_id and the progress fields, version 3
    # the corrections, so snapshots taken before them still load (see the upcasters).
    class_version = 3

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
        self.corrections: list[dict[str, Any]] = []

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Snapshot state of version 1 (before progress and templates) as version 2."""
        state.update(template_id=None, latest_progress=None, progress_count=0, closed=None)

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        """Snapshot state of version 2 (before corrections) as version 3."""
        state["corrections"] = []

    @property
    def kpi_measured(self) -> bool:
        """True when a KPI, not a manual measure, gives this goal its values."""
        return self.kpi != "manual"

    @property
    def overridden(self) -> bool:
        """True while the latest value is one given by hand instead of the goal's KPI."""
        return self.latest_progress is not None and not is_kpi_source(
            self.latest_progress["source"]
        )

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
        self.check_not_own(actor, "revise the target of")
        check_reason(reason, "reason")
        self._target_revised(before=self.target, after=target, reason=reason.strip(), actor=actor)

    @event("TargetRevised")
    def _target_revised(self, *, before: float, after: float, reason: str, actor: str) -> None:
        self.target = after
        self.revisions.append({"before": before, "after": after, "reason": reason, "actor": actor})

    def activate(self, *, actor: str) -> None:
        """Makes a draft goal active: from now on progress is recorded against it."""
        if self.status != "draft":
            raise RuleViolation(
                f"only a draft goal can be activated; this one is {self.status}",
                goal_id=str(self.id),
            )
        self.check_not_own(actor, "activate")
        self._activated(actor=actor)

    @event("Activated")
    def _activated(self, *, actor: str) -> None:
        self.status = "active"

    def record_progress(
        self, *, value: float, as_of: datetime, source: str, note: str, actor: str
    ) -> None:
        """Records a measured value as of a time; keeps the value before it (a score change).

        A value that does not come from the goal's KPI, on a KPI-measured goal, is an
        override: it is recorded as ``ProgressOverridden`` (see ``override_progress``).
        """
        check_text(source, "source")
        if self.kpi_measured and not is_kpi_source(source):
            self.override_progress(value=value, as_of=as_of, note=note, actor=actor)
            return
        self.check_active("record progress on")
        self.check_not_own(actor, "record progress on")
        check_finite(value, "value")
        self.check_as_of(as_of, superseding=is_kpi_source(source))
        before = self.latest_value
        self._progress_recorded(
            before=before,
            after=float(value),
            as_of=as_of,
            source=source.strip(),
            note=note.strip(),
            actor=actor,
        )

    def override_progress(self, *, value: float, as_of: datetime, note: str, actor: str) -> None:
        """Puts a value given by hand in place of a KPI-measured goal's value, in the open.

        It counts (attainment, reviews) until the goal's KPI next moves: the process
        manager's next value supersedes it.
        """
        self.check_active("override the progress of")
        self.check_not_own(actor, "override the progress of")
        if not self.kpi_measured:
            raise RuleViolation(
                "a manual goal has no KPI value to override; record progress instead",
                goal_id=str(self.id),
            )
        check_finite(value, "value")
        self.check_as_of(as_of)
        self._progress_overridden(
            before=self.latest_value,
            after=float(value),
            as_of=as_of,
            kpi=self.kpi,
            note=note.strip(),
            actor=actor,
        )

    @event("ProgressOverridden")
    def _progress_overridden(
        self,
        before: float | None,
        after: float,
        as_of: datetime,
        kpi: str,
        note: str,
        actor: str,
    ) -> None:
        self.latest_progress = {
            "value": after,
            "as_of": as_of,
            "source": OVERRIDE_SOURCE,
            "note": note,
            "actor": actor,
        }
        self.progress_count += 1

    @event("ProgressRecorded")
    def _progress_recorded(
        self,
        before: float | None,
        after: float,
        as_of: datetime,
        source: str,
        note: str,
        actor: str,
    ) -> None:
        self.latest_progress = {
            "value": after,
            "as_of": as_of,
            "source": source,
            "note": note,
            "actor": actor,
        }
        self.progress_count += 1

    def close(self, *, as_of: datetime, actor: str) -> None:
        """Closes the goal after its period: achieved when attainment >= 1, else missed."""
        self.check_active("close")
        self.check_not_own(actor, "close")
        check_aware(as_of, "as_of")
        # The period's last day is included: a goal closes only once that day is over.
        if as_of.astimezone(UTC).date() <= self.period_end:
            raise InvalidValue(
                f"the period runs until {self.period_end}; close after it",
                field="as_of",
                goal_id=str(self.id),
            )
        reached = self.attainment
        self._closed(
            outcome=outcome_of(reached),
            value=self.latest_value,
            attainment=reached,
            target=self.target,
            as_of=as_of,
            actor=actor,
        )

    @event("Closed")
    def _closed(
        self,
        outcome: str,
        value: float | None,
        attainment: float | None,
        target: float,
        as_of: datetime,
        actor: str,
    ) -> None:
        self.status = outcome
        self.closed = {
            "outcome": outcome,
            "value": value,
            "attainment": attainment,
            "target": target,
            "as_of": as_of,
            "actor": actor,
        }

    def correct(self, *, value: float, reason: str, actor: str) -> None:
        """Corrects the measured value of a closed goal, with a reason; re-evaluates the outcome.

        The target stays the one the goal was closed against; before and after (value,
        attainment, outcome) are kept, so reviews using the goal show the change.
        """
        if self.status not in CLOSED_STATUSES or self.closed is None:
            raise RuleViolation(
                f"only a closed goal can be corrected; this one is {self.status}",
                goal_id=str(self.id),
            )
        self.check_not_own(actor, "correct")
        check_finite(value, "value")
        check_reason(reason, "reason")
        if float(value) == self.latest_value:
            raise InvalidValue(
                "the correction must change the value", field="value", goal_id=str(self.id)
            )
        target = float(self.closed["target"])
        reached = attainment(target, self.direction, float(value))
        self._corrected(
            before=self.latest_value,
            after=float(value),
            before_outcome=self.status,
            outcome=outcome_of(reached),
            before_attainment=self.closed["attainment"],
            attainment=reached,
            target=target,
            reason=reason.strip(),
            actor=actor,
        )

    @event("Corrected")
    def _corrected(
        self,
        before: float | None,
        after: float,
        before_outcome: str,
        outcome: str,
        before_attainment: float | None,
        attainment: float | None,
        target: float,
        reason: str,
        actor: str,
        timestamp: datetime | None = None,
    ) -> None:
        assert self.closed is not None
        self.status = outcome
        self.closed = {**self.closed, "outcome": outcome, "value": after, "attainment": attainment}
        self.latest_progress = {
            "value": after,
            "as_of": self.closed["as_of"],
            "source": CORRECTION_SOURCE,
            "note": reason,
            "actor": actor,
        }
        self.corrections.append(
            {
                "before": before,
                "after": after,
                "before_outcome": before_outcome,
                "outcome": outcome,
                "before_attainment": before_attainment,
                "attainment": attainment,
                "reason": reason,
                "actor": actor,
                "at": timestamp,
            }
        )

    def cancel(self, *, reason: str, actor: str) -> None:
        """Cancels the goal; a cancelled goal accepts no further changes."""
        self.check_open("cancel")
        self.check_not_own(actor, "cancel")
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
            raise RuleViolation(
                f"cannot {doing} a goal that is {self.status}", goal_id=str(self.id)
            )

    def check_not_own(self, actor: str, doing: str) -> None:
        # Segregation of duties: a manager who is also this goal's agent does not steer it.
        if person(actor) == self.agent_id:
            raise RuleViolation(
                f"nobody may {doing} their own goal", goal_id=str(self.id), actor=actor
            )

    def check_as_of(self, as_of: datetime, superseding: bool = False) -> None:
        check_aware(as_of, "as_of")
        day = as_of.astimezone(UTC).date()
        if not self.period_start <= day <= self.period_end:
            raise InvalidValue(
                f"as_of must fall in the goal's period {self.period_start}..{self.period_end}",
                field="as_of",
                goal_id=str(self.id),
            )
        # Progress replaces the latest value, so an older measurement arriving late
        # would silently roll the goal back; the caller must send a newer one. A KPI value
        # supersedes an override (or an old manual value) whatever their times: the
        # override only stands until the KPI moves again.
        if superseding and self.overridden:
            return
        if self.latest_progress is not None and as_of < self.latest_progress["as_of"]:
            raise RuleViolation(
                f"progress as of {as_of.isoformat()} is older than the latest "
                f"({self.latest_progress['as_of'].isoformat()})",
                goal_id=str(self.id),
            )


OVERRIDE_SOURCE = "override"
CORRECTION_SOURCE = "correction"


def is_kpi_source(source: str) -> bool:
    """True for values measured from KPIs (``kpi:<name>``, or plain ``kpi``)."""
    return source.strip().split(":", 1)[0] == "kpi"


def outcome_of(reached: float | None) -> str:
    """Achieved when the attainment reaches 1, else missed (also when never measured)."""
    return "achieved" if reached is not None and reached >= 1 else "missed"


def check_not_own(agent_id: str, actor: str, doing: str) -> None:
    if person(actor) == agent_id:
        raise RuleViolation(f"nobody may {doing} their own goal", agent_id=agent_id, actor=actor)


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
