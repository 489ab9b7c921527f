"""Goal templates with bulk assignment, and review templates (scoring policies)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from adapters.http.auth import CurrentPrincipal
from adapters.http.routes.common import AppServices, IfMatch, accepted, parse_id
from engine.commands import AssignTemplate, CreateGoalTemplate, PublishReviewTemplate

router = APIRouter(tags=["templates"])


@router.post("/v1/goal-templates", status_code=201)
def create_goal_template(
    body: CreateGoalTemplate, who: CurrentPrincipal, services: AppServices, response: Response
) -> dict[str, Any]:
    """Creates a goal template for a team."""
    return accepted(services.templates.create_goal_template(who, body), response)


@router.post("/v1/goal-templates/{template_id}/assign")
def assign(
    template_id: str,
    body: AssignTemplate,
    who: CurrentPrincipal,
    services: AppServices,
    version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """Sets the template's goal for every agent named, in one atomic save."""
    template, goals = services.templates.assign(who, parse_id(template_id), body, version)
    return accepted(template, response, goals={g.agent_id: str(g.id) for g in goals})


@router.get("/v1/goal-templates/{template_id}")
def get_goal_template(
    template_id: str, who: CurrentPrincipal, services: AppServices
) -> dict[str, Any]:
    """The goal template and the goal each agent got from it."""
    return services.templates.get_goal_template(who, template_id)


@router.post("/v1/review-templates", status_code=201)
def publish_review_template(
    body: PublishReviewTemplate, who: CurrentPrincipal, services: AppServices, response: Response
) -> dict[str, Any]:
    """Publishes a scoring policy: version 1, or the next version of the same policy_id."""
    template = services.templates.publish_review_template(who, body)
    return accepted(
        template, response, policy_id=template.policy_id, policy_version=len(template.versions)
    )


@router.get("/v1/review-templates/{policy_id}")
def get_review_template(
    policy_id: str, who: CurrentPrincipal, services: AppServices
) -> dict[str, Any]:
    """Every version of a scoring policy."""
    return services.templates.get_review_template(who, policy_id)
