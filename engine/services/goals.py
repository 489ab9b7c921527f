"""Goal commands and reads, in the caller's scope."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from aggregates.errors import InvalidValue, NotFound
from aggregates.goal import Goal
from engine.application import PerfLedger
from engine.callers import Principal
from engine.commands import CloseGoal, CorrectGoal, RecordProgress, ReviseTarget, SetGoal
from engine.ports import Documents
from engine.scope import Scope
from engine.services.docs import scoped_page


class GoalService:
    """Sets, revises, measures and closes goals; reads them and their team roll-up."""

    def __init__(self, app: PerfLedger, docs: Documents, scope: Scope) -> None:
        self.app = app
        self.docs = docs
        self.scope = scope

    def set(self, who: Principal, command: SetGoal) -> Goal:
        """Sets a goal for an agent of a team the caller manages (recorded for the agent's team)."""
        team = self.scope.record_team(
            who, command.agent_id, command.team_id, (command.period_start, command.period_end)
        )
        return self.app.set_goal(command.model_copy(update={"team_id": team}), actor=who.actor)

    def revise_target(
        self, who: Principal, goal_id: UUID, command: ReviseTarget, version: int | None
    ) -> Goal:
        """Revises the target; the reason and the old target are kept."""
        return self.app.revise_target(
            goal_id, command.target, command.reason, who.actor, version, self.scope.agent_check(who)
        )

    def activate(self, who: Principal, goal_id: UUID, version: int | None) -> Goal:
        """Activates a draft goal."""
        return self.app.activate_goal(goal_id, who.actor, version, self.scope.agent_check(who))

    def cancel(self, who: Principal, goal_id: UUID, reason: str, version: int | None) -> Goal:
        """Cancels the goal with a reason."""
        return self.app.cancel_goal(
            goal_id, reason, who.actor, version, self.scope.agent_check(who)
        )

    def record_progress(
        self, who: Principal, goal_id: UUID, command: RecordProgress, version: int | None
    ) -> Goal:
        """Records a manually measured value as of a time."""
        return self.app.record_goal_progress(
            goal_id,
            command.value,
            command.as_of,
            "manual",
            who.actor,
            command.note,
            version,
            self.scope.agent_check(who),
        )

    def correct(
        self, who: Principal, goal_id: UUID, command: CorrectGoal, version: int | None
    ) -> Goal:
        """Corrects a closed goal's measured value with a reason."""
        return self.app.correct_goal(
            goal_id, command.value, command.reason, who.actor, version, self.scope.agent_check(who)
        )

    def close(self, who: Principal, goal_id: UUID, command: CloseGoal, version: int | None) -> Goal:
        """Closes the goal after its period as achieved or missed."""
        return self.app.close_goal(
            goal_id, command.as_of, who.actor, version, self.scope.agent_check(who)
        )

    def rollup(
        self,
        who: Principal,
        team_id: str,
        template_id: str | None,
        start: date | None,
        end: date | None,
    ) -> dict[str, Any]:
        """A team's goals (or one template's) whose period meets [start, end), rolled up."""
        self.scope.check_team_read(who, team_id)
        if start is not None and end is not None and start > end:
            raise InvalidValue("from must not be after to", field="from")
        return self.docs.goal_rollup(team_id, template_id, start, end)

    def get(self, who: Principal, goal_id: str) -> dict[str, Any]:
        """The goal as the read model holds it."""
        doc = self.docs.get("Goal", goal_id)
        if doc is None:
            raise NotFound(f"no goal {goal_id}", id=goal_id)
        self.scope.check_read(who, doc)
        return doc

    def page(
        self,
        who: Principal,
        agent_id: str | None,
        team_id: str | None,
        status: str | None,
        limit: int,
        cursor: str | None,
    ) -> list[dict[str, Any]]:
        """Goals by agent, team and status in the caller's scope, ordered by id."""
        return scoped_page(
            self.docs,
            self.scope,
            who,
            "Goal",
            limit,
            cursor,
            agent_id,
            team_id=team_id,
            status=status,
        )
