"""The eventsourcing Application: commands in, events into the store."""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Transcoding

from aggregates.errors import NotFound, VersionConflict
from aggregates.goal import Goal
from engine.commands import SetGoal

A = TypeVar("A", bound=Aggregate)


class DateAsISO(Transcoding):
    """Stores dates as ISO strings."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class PerfLedger(Application[UUID]):
    """Command side of perfledger: every command becomes events in the store."""

    name = "PerfLedgerApp"
    snapshotting_intervals = {Goal: 100}

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def set_goal(self, command: SetGoal, actor: str) -> Goal:
        """Sets a new goal for an agent."""
        goal = Goal(**command.model_dump(), actor=actor)
        self.save_new(goal)
        return goal

    def revise_target(
        self, goal_id: UUID, target: float, reason: str, actor: str, expected_version: int | None = None
    ) -> Goal:
        """Revises a goal's target, keeping the old one and the reason."""
        goal = self.load(Goal, goal_id, expected_version)
        goal.revise_target(target=target, reason=reason, actor=actor)
        self.save_changes(goal)
        return goal

    def cancel_goal(
        self, goal_id: UUID, reason: str, actor: str, expected_version: int | None = None
    ) -> Goal:
        """Cancels a goal with a reason."""
        goal = self.load(Goal, goal_id, expected_version)
        goal.cancel(reason=reason, actor=actor)
        self.save_changes(goal)
        return goal

    def load(self, kind: type[A], aggregate_id: UUID, expected_version: int | None = None) -> A:
        """The aggregate of that kind, refusing a stale expected version."""
        try:
            aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"no {kind.__name__.lower()} {aggregate_id}", id=str(aggregate_id)) from None
        if not isinstance(aggregate, kind):
            raise NotFound(f"no {kind.__name__.lower()} {aggregate_id}", id=str(aggregate_id))
        if expected_version is not None and aggregate.version != expected_version:
            raise VersionConflict(
                f"version is {aggregate.version}, not {expected_version}",
                id=str(aggregate_id), version=aggregate.version,
            )
        return aggregate

    def save_new(self, *aggregates: Aggregate) -> None:
        self.save(*aggregates)

    def save_changes(self, *aggregates: Aggregate) -> None:
        """Saves; a concurrent writer that got there first is a version conflict."""
        try:
            self.save(*aggregates)
        except IntegrityError:
            ids = [str(a.id) for a in aggregates]
            raise VersionConflict("changed concurrently, reload and retry", ids=ids) from None

    def event_as_dict(self, notification: Any) -> dict[str, Any]:
        """A stored notification decoded into its domain event's plain attributes."""
        return vars(self.mapper.to_domain_event(notification))
