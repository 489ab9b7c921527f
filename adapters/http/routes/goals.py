"""Goal commands and reads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from adapters.http.auth import CurrentPrincipal
from adapters.http.routes.common import AppServices, IfMatch, accepted, page, parse_id, versioned
from engine.commands import (
    CloseGoal,
    CorrectGoal,
    Day,
    Reason,
    RecordProgress,
    ReviseTarget,
    SetGoal,
)

router = APIRouter(prefix="/v1/goals", tags=["goals"])


@router.post("", status_code=201)
def set_goal(
    body: SetGoal, who: CurrentPrincipal, services: AppServices, response: Response
) -> dict[str, Any]:
    """Sets a goal for an agent; answers with its id and version."""
    return accepted(services.goals.set(who, body), response)


@router.post("/{goal_id}/revise-target")
def revise_target(
    goal_id: str, body: ReviseTarget, who: CurrentPrincipal, services: AppServices, version: IfMatch
) -> dict[str, Any]:
    """Revises the target; the reason and the old target are kept."""
    goal = services.goals.revise_target(who, parse_id(goal_id), body, version)
    return {"id": str(goal.id), "version": goal.version}


@router.post("/{goal_id}/activate")
def activate(
    goal_id: str, who: CurrentPrincipal, services: AppServices, version: IfMatch
) -> dict[str, Any]:
    """Activates a draft goal; progress is recorded only against active goals."""
    goal = services.goals.activate(who, parse_id(goal_id), version)
    return {"id": str(goal.id), "version": goal.version}


@router.post("/{goal_id}/cancel")
def cancel(
    goal_id: str, body: Reason, who: CurrentPrincipal, services: AppServices, version: IfMatch
) -> dict[str, Any]:
    """Cancels the goal with a reason."""
    goal = services.goals.cancel(who, parse_id(goal_id), body.reason, version)
    return {"id": str(goal.id), "version": goal.version}


@router.post("/{goal_id}/progress")
def record_progress(
    goal_id: str,
    body: RecordProgress,
    who: CurrentPrincipal,
    services: AppServices,
    version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """Records a manually measured value as of a time; the value before it is kept.

    On a KPI-measured goal the value is an override (Goal.ProgressOverridden): it counts
    until the goal's KPI next moves, and the trail shows it as such.
    """
    goal = services.goals.record_progress(who, parse_id(goal_id), body, version)
    return accepted(goal, response, attainment=goal.attainment, override=goal.overridden)


@router.post("/{goal_id}/correct")
def correct(
    goal_id: str,
    body: CorrectGoal,
    who: CurrentPrincipal,
    services: AppServices,
    version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """Corrects a closed goal's measured value with a reason; achieved or missed is re-evaluated."""
    goal = services.goals.correct(who, parse_id(goal_id), body, version)
    return accepted(goal, response, status=goal.status, attainment=goal.attainment)


@router.post("/{goal_id}/close")
def close(
    goal_id: str,
    body: CloseGoal,
    who: CurrentPrincipal,
    services: AppServices,
    version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """Closes the goal after its period: achieved when its attainment is at least 1, else missed."""
    goal = services.goals.close(who, parse_id(goal_id), body, version)
    return accepted(goal, response, status=goal.status)


FromDay = Annotated[
    Day | None, Query(alias="from", description="goals whose period ends on or after this day")
]
ToDay = Annotated[
    Day | None, Query(alias="to", description="goals whose period starts before this day")
]


@router.get("/rollup")
def rollup(
    who: CurrentPrincipal,
    services: AppServices,
    team_id: str,
    template_id: str | None = None,
    start: FromDay = None,
    end: ToDay = None,
) -> dict[str, Any]:
    """A team's goals (or one template's) whose period meets [from, to), rolled up: attainment
    weighted by goal weight, each clamped to [0, 1.5] as reviews count it."""
    rolled = services.goals.rollup(who, team_id, template_id, start, end)
    period = {
        "from": None if start is None else str(start),
        "to": None if end is None else str(end),
    }
    return {"team_id": team_id, "template_id": template_id, **period, **rolled}


@router.get("/{goal_id}")
def get_goal(
    goal_id: str, who: CurrentPrincipal, services: AppServices, response: Response
) -> dict[str, Any]:
    """The goal as the read model holds it: status, target, revisions, version."""
    return versioned(services.goals.get(who, goal_id), response)


@router.get("")
def list_goals(
    who: CurrentPrincipal,
    services: AppServices,
    agent_id: str | None = None,
    team_id: str | None = None,
    status: str | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
    cursor: str | None = None,
) -> dict[str, Any]:
    """Goals filtered by agent, team and status, ordered by id; pass next_cursor to page on."""
    return page(services.goals.page(who, agent_id, team_id, status, limit, cursor), limit)
