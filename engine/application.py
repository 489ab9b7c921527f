"""The eventsourcing Application: commands in, events into the store."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Recording, Transcoding

from aggregates import ids
from aggregates.check_in import CheckIn
from aggregates.errors import InvalidValue, NotFound, VersionConflict
from aggregates.goal import Goal, check_not_own
from aggregates.review import Review
from aggregates.templates import GoalTemplate, ReviewTemplate
from engine.commands import (
    AssignTemplate,
    CreateGoalTemplate,
    PublishReviewTemplate,
    RecordCheckIn,
    SetGoal,
)
from engine.reviews import ReviewCommands
from engine.roster_commands import RosterCommands

A = TypeVar("A", bound=Aggregate)
# A check the caller runs on the loaded aggregate before the command acts (a scope rule):
# the same load serves both, so a command route loads its aggregate once.
Check = Callable[[Any], None]
# How far ahead of this server's clock a client's clock may run before its time is refused.
CLOCK_SKEW = timedelta(minutes=5)


class DateAsISO(Transcoding):
    """Stores dates as ISO strings."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


def as_uuid(value: UUID | str, field: str = "id") -> UUID:
    """An aggregate id from a UUID or its text; anything else names no aggregate."""
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        raise NotFound(f"no such id {value!r}", id=str(value), field=field) from None


class PerfLedger(ReviewCommands, RosterCommands, Application[UUID]):
    """Command side of perfledger: every command becomes events in the store."""

    name = "PerfLedgerApp"
    # Goals gather progress every interval and reviews a long trail: load from snapshots.
    snapshotting_intervals = {Goal: 100, Review: 50}  # noqa: RUF012 - the library reads it from the class

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # --- goals -------------------------------------------------------------------

    def set_goal(self, command: SetGoal, actor: str) -> Goal:
        """Sets a new goal for an agent (never one's own)."""
        check_not_own(command.agent_id, actor, "set")
        goal = Goal(**command.model_dump(), actor=actor)
        self.save_new(goal)
        return goal

    def revise_target(
        self,
        goal_id: UUID,
        target: float,
        reason: str,
        actor: str,
        expected_version: int | None = None,
        check: Check | None = None,
    ) -> Goal:
        """Revises a goal's target, keeping the old one and the reason."""
        return self.change(
            Goal,
            goal_id,
            expected_version,
            lambda g: g.revise_target(target=target, reason=reason, actor=actor),
            check,
        )

    def activate_goal(
        self,
        goal_id: UUID | str,
        actor: str,
        expected_version: int | None = None,
        check: Check | None = None,
    ) -> Goal:
        """Activates a draft goal."""
        return self.change(
            Goal, goal_id, expected_version, lambda g: g.activate(actor=actor), check
        )

    def cancel_goal(
        self,
        goal_id: UUID,
        reason: str,
        actor: str,
        expected_version: int | None = None,
        check: Check | None = None,
    ) -> Goal:
        """Cancels a goal with a reason."""
        return self.change(
            Goal, goal_id, expected_version, lambda g: g.cancel(reason=reason, actor=actor), check
        )

    def record_progress(
        self,
        goal_id: UUID | str,
        value: float,
        as_of: datetime,
        source: str,
        actor: str,
        note: str = "",
    ) -> Goal:
        """Records a goal's measured value (the goal-progress process manager calls this)."""
        return self.record_goal_progress(goal_id, value, as_of, source, actor, note)

    def record_goal_progress(
        self,
        goal_id: UUID | str,
        value: float,
        as_of: datetime,
        source: str,
        actor: str,
        note: str = "",
        expected_version: int | None = None,
        check: Check | None = None,
    ) -> Goal:
        """Records a goal's measured value, refusing a stale expected version."""
        return self.change(
            Goal,
            goal_id,
            expected_version,
            lambda g: g.record_progress(
                value=value, as_of=as_of, source=source, note=note, actor=actor
            ),
            check,
        )

    def override_goal_progress(
        self,
        goal_id: UUID | str,
        value: float,
        as_of: datetime,
        note: str,
        actor: str,
        expected_version: int | None = None,
    ) -> Goal:
        """Puts a value given by hand in place of a KPI-measured goal's value until the KPI
        moves."""
        return self.change(
            Goal,
            goal_id,
            expected_version,
            lambda g: g.override_progress(value=value, as_of=as_of, note=note, actor=actor),
        )

    def correct_goal(
        self,
        goal_id: UUID | str,
        value: float,
        reason: str,
        actor: str,
        expected_version: int | None = None,
        check: Check | None = None,
    ) -> Goal:
        """Corrects a closed goal's value with a reason, re-evaluating achieved or missed."""
        return self.change(
            Goal,
            goal_id,
            expected_version,
            lambda g: g.correct(value=value, reason=reason, actor=actor),
            check,
        )

    def close_goal(
        self,
        goal_id: UUID | str,
        as_of: datetime | None,
        actor: str,
        expected_version: int | None = None,
        check: Check | None = None,
    ) -> Goal:
        """Closes a goal after its period as achieved or missed."""
        when = as_of or datetime.now(UTC)
        return self.change(
            Goal, goal_id, expected_version, lambda g: g.close(as_of=when, actor=actor), check
        )

    def goals(self, goal_ids: Iterable[str], field: str = "goal_ids") -> list[Goal]:
        """The goals named, in order; an unknown one is invalid input naming the field."""
        found = []
        for index, goal_id in enumerate(goal_ids):
            try:
                found.append(self.load(Goal, as_uuid(goal_id)))
            except NotFound:
                raise InvalidValue(f"no goal {goal_id}", field=f"{field}[{index}]") from None
        return found

    # --- goal templates ------------------------------------------------------------

    def create_goal_template(self, command: CreateGoalTemplate, actor: str) -> GoalTemplate:
        """Creates a goal template for a team."""
        template = GoalTemplate(**command.model_dump(), actor=actor)
        self.save_new(template)
        return template

    def assign_goal_template(
        self,
        template_id: UUID | str,
        command: AssignTemplate,
        actor: str,
        expected_version: int | None = None,
        check: Check | None = None,
    ) -> tuple[GoalTemplate, list[Goal]]:
        """Sets the template's goal for every agent named, all in one save."""
        template = self.load(GoalTemplate, as_uuid(template_id), check=check)
        for agent_id in command.agent_ids:
            check_not_own(agent_id, actor, "set")
        check_version(template, expected_version)
        fields = template.goal_fields()
        goals = [
            Goal(str(template.id), agent_id=agent_id, actor=actor, **fields)
            for agent_id in command.agent_ids
        ]
        template.assign(goals={g.agent_id: str(g.id) for g in goals}, actor=actor)
        self.save_changes(template, *goals)
        return template, goals

    # --- review templates (scoring policies) -----------------------------------------

    def publish_review_template(self, command: PublishReviewTemplate, actor: str) -> ReviewTemplate:
        """Publishes a scoring policy: version 1, or the next version of an existing one."""
        try:
            template = self.load(
                ReviewTemplate, ReviewTemplate.create_id(policy_id=command.policy_id)
            )
        except NotFound:
            template = ReviewTemplate(
                policy_id=command.policy_id,
                name=command.name,
                criteria=command.criteria,
                goal_weight=command.goal_weight,
                actor=actor,
            )
            self.save_changes(template)
            return template
        template.revise(criteria=command.criteria, goal_weight=command.goal_weight, actor=actor)
        self.save_changes(template)
        return template

    def scoring_policy(self, policy_id: str, version: int | None) -> dict[str, Any]:
        """A stored policy (latest version unless one is named) as a review records it."""
        try:
            template = self.load(ReviewTemplate, ReviewTemplate.create_id(policy_id=policy_id))
        except NotFound:
            raise InvalidValue(f"no review template {policy_id}", field="policy_id") from None
        return template.policy(version)

    # --- check-ins -----------------------------------------------------------------

    def record_check_in(self, command: RecordCheckIn, actor: str) -> CheckIn:
        """Records a 1:1 with a snapshot of the discussed goals' progress at that moment."""
        check_in = self.new_check_in(command, actor)
        self.save_new(check_in)
        return check_in

    def new_check_in(self, command: RecordCheckIn, actor: str) -> CheckIn:
        """A check-in not saved yet, so that it can be saved together with what caused it."""
        if command.held_at > datetime.now(UTC) + CLOCK_SKEW:
            raise InvalidValue(
                "held_at must not be in the future: record a check-in once it is held",
                field="held_at",
            )
        goals = self.agent_goals(command.agent_id, command.goal_ids)
        return CheckIn(
            agent_id=command.agent_id,
            team_id=command.team_id,
            held_at=command.held_at,
            notes=command.notes,
            goals=[goal_snapshot(g) for g in goals],
            feedback=[item.as_domain() for item in command.feedback],
            action_items=[item.model_dump() for item in command.action_items],
            actor=actor,
        )

    def complete_action_item(
        self,
        check_in_id: UUID | str,
        index: int,
        actor: str,
        expected_version: int | None = None,
        check: Check | None = None,
    ) -> CheckIn:
        """Marks a check-in's action item (0-based index) done."""
        return self.change(
            CheckIn,
            check_in_id,
            expected_version,
            lambda c: c.complete_action_item(index=index, actor=actor),
            check,
        )

    def agent_goals(self, agent_id: str, goal_ids: list[str]) -> list[Goal]:
        """The goals named, refusing any that is not this agent's."""
        goals = self.goals(goal_ids)
        for index, goal in enumerate(goals):
            if goal.agent_id != agent_id:
                raise InvalidValue(
                    f"goal {goal.id} is not a goal of {agent_id}", field=f"goal_ids[{index}]"
                )
        return goals

    # --- loading and saving --------------------------------------------------------

    def change(
        self,
        kind: type[A],
        aggregate_id: UUID | str,
        expected_version: int | None,
        action: Callable[[A], None],
        check: Check | None = None,
    ) -> A:
        """Loads, applies one command, saves; the expected version guards lost updates."""
        aggregate = self.load(kind, as_uuid(aggregate_id), expected_version, check)
        action(aggregate)
        self.save_changes(aggregate)
        return aggregate

    def load(
        self,
        kind: type[A],
        aggregate_id: UUID,
        expected_version: int | None = None,
        check: Check | None = None,
    ) -> A:
        """The aggregate of that kind, refusing a stale expected version.

        `check` (a scope rule) runs on the loaded aggregate before the version is compared,
        so a caller outside the scope learns nothing of the aggregate's version.
        """
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(
                f"no {kind.__name__.lower()} {aggregate_id}", id=str(aggregate_id)
            ) from None
        if not isinstance(aggregate, kind):
            raise NotFound(f"no {kind.__name__.lower()} {aggregate_id}", id=str(aggregate_id))
        if check is not None:
            check(aggregate)
        check_version(aggregate, expected_version)
        return aggregate

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Saves; a retried create (same Idempotency-Key) whose aggregates are stored already
        is taken as done, so the caller answers as the first attempt did."""
        created = created_ids(objs) if ids.deriving() else []
        try:
            return super().save(*objs, **kwargs)
        except IntegrityError:
            if created and all(self.recorder.select_events(i, limit=1) for i in created):
                return []
            raise

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


def check_version(aggregate: Aggregate, expected_version: int | None) -> None:
    """Refuses a stale expected version (If-Match) of a loaded aggregate."""
    if expected_version is not None and aggregate.version != expected_version:
        raise VersionConflict(
            f"version is {aggregate.version}, not {expected_version}",
            id=str(aggregate.id),
            version=aggregate.version,
        )


def created_ids(objs: Iterable[Any]) -> list[UUID]:
    """Ids of the aggregates among objs that are new (their first event is pending)."""
    return [
        o.id
        for o in objs
        if isinstance(o, Aggregate)
        and o.pending_events
        and o.pending_events[0].originator_version == Aggregate.INITIAL_VERSION
    ]


def goal_snapshot(goal: Goal) -> dict[str, Any]:
    """A goal's progress at this moment, as a check-in keeps it."""
    reached = goal.attainment
    return {
        "goal_id": str(goal.id),
        "title": goal.title,
        "target": goal.target,
        "direction": goal.direction,
        "latest_value": goal.latest_value,
        "attainment": None if reached is None else round(reached, 6),
    }
