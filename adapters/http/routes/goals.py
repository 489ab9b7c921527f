"""Goal commands and reads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from adapters.http.auth import (
    CurrentPrincipal,
    check_manage,
    check_read,
    check_team_read,
    readable_teams,
    require_role,
)
from adapters.http.routes.common import IfMatch, Services, accepted, parse_id
from adapters.sql.documents_view import get_document, list_documents
from aggregates.errors import InvalidValue, NotFound
from aggregates.goal import Goal
from engine.commands import (
    CloseGoal,
    CorrectGoal,
    Day,
    Reason,
    RecordProgress,
    ReviseTarget,
    SetGoal,
)
from projections.goals import roll_up

router = APIRouter(prefix="/v1/goals", tags=["goals"])


@router.post("", status_code=201)
def set_goal(body: SetGoal, who: CurrentPrincipal, services: Services, response: Response) -> dict[str, Any]:
    """Sets a goal for an agent; answers with its id and version."""
    check_manage(who, body.team_id)
    goal = services.app.set_goal(body, actor=who.actor)
    response.headers["ETag"] = str(goal.version)
    return {"id": str(goal.id), "version": goal.version}


def _command_target(services: Services, who: CurrentPrincipal, goal_id: str) -> Goal:
    goal = services.app.load(Goal, parse_id(goal_id))
    check_manage(who, goal.team_id)
    return goal


@router.post("/{goal_id}/revise-target")
def revise_target(
    goal_id: str, body: ReviseTarget, who: CurrentPrincipal, services: Services, version: IfMatch
) -> dict[str, Any]:
    """Revises the target; the reason and the old target are kept."""
    goal = _command_target(services, who, goal_id)
    goal = services.app.revise_target(goal.id, body.target, body.reason, who.actor, version)
    return {"id": str(goal.id), "version": goal.version}


@router.post("/{goal_id}/activate")
def activate(goal_id: str, who: CurrentPrincipal, services: Services, version: IfMatch) -> dict[str, Any]:
    """Activates a draft goal; progress is recorded only against active goals."""
    goal = _command_target(services, who, goal_id)
    goal = services.app.activate_goal(goal.id, who.actor, version)
    return {"id": str(goal.id), "version": goal.version}


@router.post("/{goal_id}/cancel")
def cancel(goal_id: str, body: Reason, who: CurrentPrincipal, services: Services, version: IfMatch) -> dict[str, Any]:
    """Cancels the goal with a reason."""
    goal = _command_target(services, who, goal_id)
    goal = services.app.cancel_goal(goal.id, body.reason, who.actor, version)
    return {"id": str(goal.id), "version": goal.version}


@router.post("/{goal_id}/progress")
def record_progress(
    goal_id: str, body: RecordProgress, who: CurrentPrincipal, services: Services, version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """Records a manually measured value as of a time; the value before it is kept.

    On a KPI-measured goal the value is an override (Goal.ProgressOverridden): it counts
    until the goal's KPI next moves, and the trail shows it as such.
    """
    goal = _command_target(services, who, goal_id)
    goal = services.app.record_goal_progress(goal.id, body.value, body.as_of, "manual", who.actor,
                                             body.note, version)
    return accepted(goal, response, attainment=goal.attainment, override=goal.overridden)


@router.post("/{goal_id}/correct")
def correct(
    goal_id: str, body: CorrectGoal, who: CurrentPrincipal, services: Services, version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """Corrects a closed goal's measured value with a reason; achieved or missed is re-evaluated."""
    goal = _command_target(services, who, goal_id)
    goal = services.app.correct_goal(goal.id, body.value, body.reason, who.actor, version)
    return accepted(goal, response, status=goal.status, attainment=goal.attainment)


@router.post("/{goal_id}/close")
def close(
    goal_id: str, body: CloseGoal, who: CurrentPrincipal, services: Services, version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """Closes the goal after its period: achieved when its attainment is at least 1, else missed."""
    goal = _command_target(services, who, goal_id)
    goal = services.app.close_goal(goal.id, body.as_of, who.actor, version)
    return accepted(goal, response, status=goal.status)


FromDay = Annotated[Day | None, Query(alias="from", description="goals whose period ends on or after this day")]
ToDay = Annotated[Day | None, Query(alias="to", description="goals whose period starts before this day")]


@router.get("/rollup")
def rollup(
    who: CurrentPrincipal, services: Services, team_id: str, template_id: str | None = None,
    start: FromDay = None, end: ToDay = None,
) -> dict[str, Any]:
    """A team's goals (or one template's) whose period meets [from, to), rolled up: attainment
    weighted by goal weight, each clamped to [0, 1.5] as reviews count it."""
    check_team_read(who, team_id)
    if start is not None and end is not None and start > end:
        raise InvalidValue("from must not be after to", field="from")
    goals = list_documents(services.db, "Goal", filters={"team_id": team_id}, teams=None,
                           after=None, limit=1_000_000)
    if template_id is not None:
        goals = [g for g in goals if g.get("template_id") == template_id]
    period = {"from": None if start is None else str(start), "to": None if end is None else str(end)}
    return {"team_id": team_id, "template_id": template_id, **period, **roll_up(goals, start, end)}


@router.get("/{goal_id}")
def get_goal(goal_id: str, who: CurrentPrincipal, services: Services, response: Response) -> dict[str, Any]:
    """The goal as the read model holds it: status, target, revisions, version."""
    doc = get_document(services.db, "Goal", goal_id)
    if doc is None:
        raise NotFound(f"no goal {goal_id}", id=goal_id)
    check_read(who, doc)
    response.headers["ETag"] = str(doc["version"])
    return doc


@router.get("")
def list_goals(
    who: CurrentPrincipal, services: Services,
    agent_id: str | None = None, team_id: str | None = None, status: str | None = None,
    limit: int = Query(default=100, ge=1, le=1000), cursor: str | None = None,
) -> dict[str, Any]:
    """Goals filtered by agent, team and status, ordered by id; pass next_cursor to page on."""
    require_role(who, "admin", "auditor", "manager", "agent")
    if who.role == "agent":
        agent_id = who.subject
    items = list_documents(
        services.db, "Goal", filters={"agent_id": agent_id, "team_id": team_id, "status": status},
        teams=readable_teams(who), after=cursor, limit=limit,
    )
    return {"items": items, "next_cursor": items[-1]["id"] if len(items) == limit else None}
