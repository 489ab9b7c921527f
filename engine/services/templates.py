"""Goal templates (with bulk assignment) and review templates (scoring policies), in the
caller's scope."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from aggregates.goal import Goal
from aggregates.templates import GoalTemplate, ReviewTemplate, review_template_id
from engine.application import PerfLedger
from engine.callers import Principal
from engine.commands import AssignTemplate, CreateGoalTemplate, PublishReviewTemplate
from engine.ports import Documents
from engine.scope import Scope, require_role
from engine.services.docs import document


class TemplateService:
    """Creates and assigns goal templates; publishes scoring policies; reads both."""

    def __init__(self, app: PerfLedger, docs: Documents, scope: Scope) -> None:
        self.app = app
        self.docs = docs
        self.scope = scope

    def create_goal_template(self, who: Principal, command: CreateGoalTemplate) -> GoalTemplate:
        """Creates a goal template (a team goal) for a team the caller manages or directs."""
        self.scope.check_team_goal_write(who, command.team_id)
        return self.app.create_goal_template(command, who.actor)

    def assign(
        self,
        who: Principal,
        template_id: UUID,
        command: AssignTemplate,
        version: int | None,
    ) -> tuple[GoalTemplate, list[Goal]]:
        """Sets the template's goal for every agent named (roster agents of its team now), in
        one save."""

        def check(template: GoalTemplate) -> None:
            self.scope.check_assignment(who, template.team_id, command.agent_ids)

        return self.app.assign_goal_template(template_id, command, who.actor, version, check)

    def get_goal_template(self, who: Principal, template_id: str) -> dict[str, Any]:
        """The goal template and the goal each agent got from it (not for agents)."""
        doc = document(self.docs, "GoalTemplate", template_id)
        require_role(who, "admin", "auditor", "director", "manager")
        self.scope.check_read(who, doc)
        return doc

    def publish_review_template(
        self, who: Principal, command: PublishReviewTemplate
    ) -> ReviewTemplate:
        """Publishes a scoring policy (admins)."""
        require_role(who, "admin")
        return self.app.publish_review_template(command, who.actor)

    def get_review_template(self, who: Principal, policy_id: str) -> dict[str, Any]:
        """Every version of a scoring policy."""
        require_role(who, "admin", "auditor", "director", "manager", "agent")
        return document(self.docs, "ReviewTemplate", str(review_template_id(policy_id)))
