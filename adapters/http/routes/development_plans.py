"""Development plan commands and reads."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response

from adapters.http.auth import CurrentPrincipal
from adapters.http.routes.common import AppServices, IfMatch, accepted, page, parse_id, versioned
from engine.commands import (
    ClosePlan,
    CompletePlanAction,
    NotePlanProgress,
    PlanAction,
    PlanObjective,
    Reason,
    StartDevelopmentPlan,
)

router = APIRouter(prefix="/v1/development-plans", tags=["development plans"])
ActionNumber = Annotated[int, Path(ge=1, le=1000, description="the action's number, from 1")]


@router.post("", status_code=201)
def start_plan(
    body: StartDevelopmentPlan, who: CurrentPrincipal, services: AppServices, response: Response
) -> dict[str, Any]:
    """Starts a development plan for an agent; started from an alert, the alert records it."""
    plan, alert = services.development_plans.start(who, body)
    if alert is None:
        return accepted(plan, response)
    return accepted(plan, response, alert_id=str(alert.id), alert_version=alert.version)


@router.post("/{plan_id}/objectives")
def add_objective(
    plan_id: str,
    body: PlanObjective,
    who: CurrentPrincipal,
    services: AppServices,
    version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """Adds an objective to an open plan."""
    plan = services.development_plans.add_objective(who, parse_id(plan_id), body, version)
    return accepted(plan, response)


@router.post("/{plan_id}/actions")
def add_action(
    plan_id: str,
    body: PlanAction,
    who: CurrentPrincipal,
    services: AppServices,
    version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """Adds an action, due within the plan's period, to an open plan."""
    plan = services.development_plans.add_action(who, parse_id(plan_id), body, version)
    return accepted(plan, response)


@router.post("/{plan_id}/actions/{n}/complete")
def complete_action(
    plan_id: str,
    n: ActionNumber,
    who: CurrentPrincipal,
    services: AppServices,
    version: IfMatch,
    response: Response,
    body: CompletePlanAction | None = None,
) -> dict[str, Any]:
    """Marks action n done with a note; the agent may do so for the actions they own."""
    plan = services.development_plans.complete_action(
        who, parse_id(plan_id), n - 1, body or CompletePlanAction(), version
    )
    return accepted(plan, response)


@router.post("/{plan_id}/actions/{n}/cancel")
def cancel_action(
    plan_id: str,
    n: ActionNumber,
    body: Reason,
    who: CurrentPrincipal,
    services: AppServices,
    version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """Cancels action n with a reason."""
    plan = services.development_plans.cancel_action(
        who, parse_id(plan_id), n - 1, body.reason, version
    )
    return accepted(plan, response)


@router.post("/{plan_id}/notes")
def note_progress(
    plan_id: str,
    body: NotePlanProgress,
    who: CurrentPrincipal,
    services: AppServices,
    version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """Records a progress note, from a check-in or directly; the agent may on their own plan."""
    plan = services.development_plans.note(who, parse_id(plan_id), body, version)
    return accepted(plan, response)


@router.post("/{plan_id}/close")
def close_plan(
    plan_id: str,
    body: ClosePlan,
    who: CurrentPrincipal,
    services: AppServices,
    version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """Closes the plan with its outcome and a summary; nothing changes after."""
    plan = services.development_plans.close(who, parse_id(plan_id), body, version)
    return accepted(plan, response)


@router.get("/{plan_id}")
def get_plan(
    plan_id: str, who: CurrentPrincipal, services: AppServices, response: Response
) -> dict[str, Any]:
    """The plan: period, origin, objectives, actions with their status, notes, outcome."""
    return versioned(services.development_plans.get(who, plan_id), response)


@router.get("")
def list_plans(
    who: CurrentPrincipal,
    services: AppServices,
    agent_id: str | None = None,
    team_id: str | None = None,
    status: Literal["open", "closed"] | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
    cursor: str | None = None,
) -> dict[str, Any]:
    """Plans by agent, team and status, ordered by id; pass next_cursor to page on."""
    plans = services.development_plans.page(who, agent_id, team_id, status, limit, cursor)
    return page(plans, limit)
