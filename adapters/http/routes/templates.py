"""Goal templates with bulk assignment, and review templates (scoring policies)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from adapters.http.auth import CurrentPrincipal, check_manage, check_read, require_role
from adapters.http.routes.common import IfMatch, Services, accepted, document, parse_id
from aggregates.templates import GoalTemplate, review_template_id
from engine.commands import AssignTemplate, CreateGoalTemplate, PublishReviewTemplate

router = APIRouter(tags=["templates"])


@router.post("/v1/goal-templates", status_code=201)
def create_goal_template(
    body: CreateGoalTemplate, who: CurrentPrincipal, services: Services, response: Response
) -> dict[str, Any]:
    """Creates a goal template for a team."""
    check_manage(who, body.team_id)
    return accepted(services.app.create_goal_template(body, who.actor), response)


@router.post("/v1/goal-templates/{template_id}/assign")
def assign(
    template_id: str, body: AssignTemplate, who: CurrentPrincipal, services: Services,
    version: IfMatch, response: Response,
) -> dict[str, Any]:
    """Sets the template's goal for every agent named, in one atomic save."""
    template = services.app.load(GoalTemplate, parse_id(template_id))
    check_manage(who, template.team_id)
    template, goals = services.app.assign_goal_template(template.id, body, who.actor, version)
    return accepted(template, response, goals={g.agent_id: str(g.id) for g in goals})


@router.get("/v1/goal-templates/{template_id}")
def get_goal_template(template_id: str, who: CurrentPrincipal, services: Services) -> dict[str, Any]:
    """The goal template and the goal each agent got from it."""
    doc = document(services, "GoalTemplate", template_id)
    require_role(who, "admin", "auditor", "manager")
    check_read(who, doc)
    return doc


@router.post("/v1/review-templates", status_code=201)
def publish_review_template(
    body: PublishReviewTemplate, who: CurrentPrincipal, services: Services, response: Response
) -> dict[str, Any]:
    """Publishes a scoring policy: version 1, or the next version of the same policy_id."""
    require_role(who, "admin")
    template = services.app.publish_review_template(body, who.actor)
    return accepted(template, response, policy_id=template.policy_id,
                    policy_version=len(template.versions))


@router.get("/v1/review-templates/{policy_id}")
def get_review_template(policy_id: str, who: CurrentPrincipal, services: Services) -> dict[str, Any]:
    """Every version of a scoring policy."""
    require_role(who, "admin", "auditor", "manager", "agent")
    return document(services, "ReviewTemplate", str(review_template_id(policy_id)))
