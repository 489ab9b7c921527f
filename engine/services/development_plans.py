"""Development plan commands and reads, in the caller's scope.

The agent's manager (or an admin) changes the plan; the agent reads their own plan, marks
the actions they own done and adds progress notes to it. Auditors read and write nothing.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from aggregates.alert import Alert
from aggregates.development_plan import DevelopmentPlan
from engine.application import PerfLedger
from engine.callers import Principal
from engine.commands import (
    ClosePlan,
    CompletePlanAction,
    NotePlanProgress,
    PlanAction,
    PlanObjective,
    StartDevelopmentPlan,
)
from engine.ports import Documents
from engine.scope import Forbidden, Scope
from engine.services.docs import readable, scoped_page

KIND = "DevelopmentPlan"


def own_plan(who: Principal, plan: DevelopmentPlan) -> bool:
    """Whether the caller is the agent the plan develops."""
    return who.role == "agent" and who.subject == plan.agent_id


def managed_or_own(scope: Scope, who: Principal) -> Any:
    """The check of what the agent may do on their own plan as its manager may."""

    def check(plan: DevelopmentPlan) -> None:
        if not own_plan(who, plan):
            scope.check_agent_write(who, plan.agent_id)

    return check


def managed_or_owned_action(scope: Scope, who: Principal, index: int) -> Any:
    """Completing an action: its manager, or the agent when the action is theirs."""

    def check(plan: DevelopmentPlan) -> None:
        if not own_plan(who, plan):
            scope.check_agent_write(who, plan.agent_id)
            return
        actions = plan.actions
        if 0 <= index < len(actions) and actions[index]["owner_id"] != who.subject:
            raise Forbidden(f"action {index + 1} is owned by {actions[index]['owner_id']}")

    return check


class DevelopmentPlanService:
    """Starts, changes and closes development plans (one load each); reads them."""

    def __init__(self, app: PerfLedger, docs: Documents, scope: Scope) -> None:
        self.app = app
        self.docs = docs
        self.scope = scope

    def start(
        self, who: Principal, command: StartDevelopmentPlan
    ) -> tuple[DevelopmentPlan, Alert | None]:
        """Starts a plan for an agent of a team the caller manages (kept for the agent's team
        in the roster)."""
        team = self.scope.record_team(
            who, command.agent_id, command.team_id, (command.period_start, command.period_end)
        )
        command = command.model_copy(update={"team_id": team})
        return self.app.start_development_plan(command, actor=who.actor)

    def add_objective(
        self, who: Principal, plan_id: UUID, objective: PlanObjective, version: int | None
    ) -> DevelopmentPlan:
        """Adds an objective (managers of the plan's team)."""
        return self.app.add_plan_objective(
            plan_id, objective, who.actor, version, self.scope.agent_check(who)
        )

    def add_action(
        self, who: Principal, plan_id: UUID, action: PlanAction, version: int | None
    ) -> DevelopmentPlan:
        """Adds an action (managers of the plan's team)."""
        return self.app.add_plan_action(
            plan_id, action, who.actor, version, self.scope.agent_check(who)
        )

    def complete_action(
        self,
        who: Principal,
        plan_id: UUID,
        index: int,
        body: CompletePlanAction,
        version: int | None,
    ) -> DevelopmentPlan:
        """Marks an action (0-based index) done: its manager, or the agent on their own."""
        return self.app.complete_plan_action(
            plan_id,
            index,
            body.note,
            who.actor,
            version,
            managed_or_owned_action(self.scope, who, index),
        )

    def cancel_action(
        self, who: Principal, plan_id: UUID, index: int, reason: str, version: int | None
    ) -> DevelopmentPlan:
        """Cancels an action (managers of the plan's team)."""
        return self.app.cancel_plan_action(
            plan_id, index, reason, who.actor, version, self.scope.agent_check(who)
        )

    def note(
        self, who: Principal, plan_id: UUID, body: NotePlanProgress, version: int | None
    ) -> DevelopmentPlan:
        """Records a progress note: the plan's manager, or the agent on their own plan."""
        return self.app.note_plan_progress(
            plan_id,
            body.text,
            body.check_in_id,
            who.actor,
            version,
            managed_or_own(self.scope, who),
        )

    def close(
        self, who: Principal, plan_id: UUID, body: ClosePlan, version: int | None
    ) -> DevelopmentPlan:
        """Closes the plan with its outcome (managers of the plan's team)."""
        return self.app.close_plan(
            plan_id, body.outcome, body.summary, who.actor, version, self.scope.agent_check(who)
        )

    def get(self, who: Principal, plan_id: str) -> dict[str, Any]:
        """The plan as the read model holds it."""
        return readable(self.docs, self.scope, who, KIND, plan_id)

    def page(
        self,
        who: Principal,
        agent_id: str | None,
        team_id: str | None,
        status: str | None,
        limit: int,
        cursor: str | None,
    ) -> list[dict[str, Any]]:
        """Plans by agent, team and status in the caller's scope, ordered by id."""
        return scoped_page(
            self.docs,
            self.scope,
            who,
            KIND,
            limit,
            cursor,
            agent_id,
            team_id=team_id,
            status=status,
        )
