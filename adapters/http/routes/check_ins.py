"""Check-in commands and reads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from adapters.http.auth import (
    CurrentPrincipal,
    check_manage,
    check_read,
    readable_teams,
    require_role,
)
from adapters.http.routes.common import IfMatch, Services, accepted, document, page, parse_id
from adapters.sql.documents_view import list_documents
from aggregates.check_in import CheckIn
from engine.commands import RecordCheckIn

router = APIRouter(prefix="/v1/check-ins", tags=["check-ins"])


@router.post("", status_code=201)
def record_check_in(
    body: RecordCheckIn, who: CurrentPrincipal, services: Services, response: Response
) -> dict[str, Any]:
    """Records a 1:1 held by the caller, with a snapshot of the discussed goals' progress."""
    check_manage(who, body.team_id)
    return accepted(services.app.record_check_in(body, actor=who.actor), response)


@router.post("/{check_in_id}/action-items/{n}/complete")
def complete_action_item(
    check_in_id: str, n: Annotated[int, Path(ge=1, description="the item's number, from 1")],
    who: CurrentPrincipal, services: Services, version: IfMatch, response: Response,
) -> dict[str, Any]:
    """Marks action item n (numbered from 1, as in the read model) done."""
    check_in = services.app.load(CheckIn, parse_id(check_in_id))
    check_manage(who, check_in.team_id)
    done = services.app.complete_action_item(check_in.id, n - 1, who.actor, version)
    return accepted(done, response)


@router.get("/{check_in_id}")
def get_check_in(check_in_id: str, who: CurrentPrincipal, services: Services, response: Response) -> dict[str, Any]:
    """The check-in: notes, goals discussed as they stood, feedback, action items."""
    doc = document(services, "CheckIn", check_in_id)
    check_read(who, doc)
    response.headers["ETag"] = str(doc["version"])
    return doc


@router.get("")
def list_check_ins(
    who: CurrentPrincipal, services: Services, agent_id: str | None = None,
    team_id: str | None = None, limit: int = Query(default=100, ge=1, le=1000),
    cursor: str | None = None,
) -> dict[str, Any]:
    """Check-ins by agent and team, ordered by id; pass next_cursor to page on."""
    require_role(who, "admin", "auditor", "manager", "agent")
    if who.role == "agent":
        agent_id = who.subject
    items = list_documents(services.db, "CheckIn", filters={"agent_id": agent_id, "team_id": team_id},
                           teams=readable_teams(who), after=cursor, limit=limit)
    return page(items, limit)
