"""Development plan commands of the application: start (from a review, an alert or nothing),
objectives, actions, progress notes, close."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

from aggregates.alert import Alert
from aggregates.check_in import CheckIn
from aggregates.development_plan import DevelopmentPlan
from aggregates.errors import InvalidValue, NotFound
from aggregates.goal import Goal
from aggregates.review import Review
from engine.commands import PlanAction, PlanObjective, StartDevelopmentPlan

Check = Callable[[Any], None]  # a scope rule run on the loaded plan (engine/application.py)


class DevelopmentPlanCommands:
    """Mixed into PerfLedger: every plan command loads, acts and saves one DevelopmentPlan."""

    # Provided by PerfLedger.
    change: Callable[..., DevelopmentPlan]
    save_changes: Callable[..., None]
    load: Callable[..., Any]

    def start_development_plan(
        self, command: StartDevelopmentPlan, actor: str
    ) -> tuple[DevelopmentPlan, Alert | None]:
        """Starts a plan; an alert it starts from records the plan, in the same save."""
        self.check_objective_goals(command.agent_id, command.objectives)
        plan = DevelopmentPlan(
            agent_id=command.agent_id,
            team_id=command.team_id,
            period_start=command.period_start,
            period_end=command.period_end,
            objectives=[o.model_dump() for o in command.objectives],
            actions=[a.model_dump() for a in command.actions],
            origin=command.origin.model_dump(),
            actor=actor,
        )
        origin = command.origin
        alert: Alert | None = None
        if origin.kind == "alert" and origin.id is not None:
            alert = self.origin_record(Alert, origin.id, command.agent_id)
            alert.turn_into_plan(plan_id=str(plan.id), actor=actor)
        elif origin.kind == "review" and origin.id is not None:
            self.origin_record(Review, origin.id, command.agent_id)
        # One save: the alert is handled exactly when the plan exists.
        self.save_changes(plan, *([alert] if alert is not None else []))
        return plan, alert

    def origin_record(
        self, kind: type[Any], record_id: str, agent_id: str, field: str = "origin.id"
    ) -> Any:
        """A review, alert, goal or check-in a plan refers to; it must be about the same agent."""
        name = kind.__name__.lower()
        try:
            record = self.load(kind, UUID(record_id))
        except (NotFound, ValueError):
            raise InvalidValue(f"no {name} {record_id}", field=field) from None
        if record.agent_id != agent_id:
            raise InvalidValue(f"{name} {record_id} is not about {agent_id}", field=field)
        return record

    def check_objective_goals(self, agent_id: str, objectives: Iterable[PlanObjective]) -> None:
        """Goals named by objectives exist and are the agent's."""
        for index, objective in enumerate(objectives):
            if objective.goal_id is None:
                continue
            field = f"objectives[{index}].goal_id"
            goal = self.origin_record(Goal, objective.goal_id, agent_id, field)
            if goal.agent_id != agent_id:
                raise InvalidValue(f"goal {goal.id} is not a goal of {agent_id}", field=field)

    def add_plan_objective(
        self,
        plan_id: UUID | str,
        objective: PlanObjective,
        actor: str,
        expected_version: int | None = None,
        check: Check | None = None,
    ) -> DevelopmentPlan:
        """Adds an objective to an open plan."""

        def act(plan: DevelopmentPlan) -> None:
            self.check_objective_goals(plan.agent_id, [objective])
            plan.add_objective(objective=objective.model_dump(), actor=actor)

        return self.change(DevelopmentPlan, plan_id, expected_version, act, check)

    def add_plan_action(
        self,
        plan_id: UUID | str,
        action: PlanAction,
        actor: str,
        expected_version: int | None = None,
        check: Check | None = None,
    ) -> DevelopmentPlan:
        """Adds an action, due within the plan's period, to an open plan."""
        return self.change(
            DevelopmentPlan,
            plan_id,
            expected_version,
            lambda p: p.add_action(action=action.model_dump(), actor=actor),
            check,
        )

    def complete_plan_action(
        self,
        plan_id: UUID | str,
        index: int,
        note: str,
        actor: str,
        expected_version: int | None = None,
        check: Check | None = None,
    ) -> DevelopmentPlan:
        """Marks an open action (0-based index) done, with a note."""
        return self.change(
            DevelopmentPlan,
            plan_id,
            expected_version,
            lambda p: p.complete_action(index=index, note=note, actor=actor),
            check,
        )

    def cancel_plan_action(
        self,
        plan_id: UUID | str,
        index: int,
        reason: str,
        actor: str,
        expected_version: int | None = None,
        check: Check | None = None,
    ) -> DevelopmentPlan:
        """Cancels an open action (0-based index) with a reason."""
        return self.change(
            DevelopmentPlan,
            plan_id,
            expected_version,
            lambda p: p.cancel_action(index=index, reason=reason, actor=actor),
            check,
        )

    def note_plan_progress(
        self,
        plan_id: UUID | str,
        text: str,
        check_in_id: str | None,
        actor: str,
        expected_version: int | None = None,
        check: Check | None = None,
    ) -> DevelopmentPlan:
        """Records a progress note on an open plan; a check-in it names is one of the agent's."""

        def act(plan: DevelopmentPlan) -> None:
            if check_in_id is not None:
                self.origin_record(CheckIn, check_in_id, plan.agent_id, "check_in_id")
            plan.note_progress(text=text, check_in_id=check_in_id, actor=actor)

        return self.change(DevelopmentPlan, plan_id, expected_version, act, check)

    def close_plan(
        self,
        plan_id: UUID | str,
        outcome: str,
        summary: str,
        actor: str,
        expected_version: int | None = None,
        check: Check | None = None,
    ) -> DevelopmentPlan:
        """Closes a plan with its outcome and a summary."""
        return self.change(
            DevelopmentPlan,
            plan_id,
            expected_version,
            lambda p: p.close(outcome=outcome, summary=summary, actor=actor),
            check,
        )
