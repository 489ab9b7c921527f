"""Check-in commands and reads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from adapters.http.auth import CurrentPrincipal
from adapters.http.routes.common import AppServices, IfMatch, accepted, page, parse_id, versioned
from engine.commands import RecordCheckIn

router = APIRouter(prefix="/v1/check-ins", tags=["check-ins"])


@router.post("", status_code=201)
def record_check_in(
    body: RecordCheckIn, who: CurrentPrincipal, services: AppServices, response: Response
) -> dict[str, Any]:
    """Records a 1:1 held by the caller, with a snapshot of the discussed goals' progress."""
    return accepted(services.check_ins.record(who, body), response)


@router.post("/{check_in_id}/action-items/{n}/complete")
def complete_action_item(
    check_in_id: str,
    n: Annotated[int, Path(ge=1, description="the item's number, from 1")],
    who: CurrentPrincipal,
    services: AppServices,
    version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """Marks action item n (numbered from 1, as in the read model) done."""
    done = services.check_ins.complete_action_item(who, parse_id(check_in_id), n - 1, version)
    return accepted(done, response)


@router.get("/{check_in_id}")
def get_check_in(
    check_in_id: str, who: CurrentPrincipal, services: AppServices, response: Response
) -> dict[str, Any]:
    """The check-in: notes, goals discussed as they stood, feedback, action items."""
    return versioned(services.check_ins.get(who, check_in_id), response)


@router.get("")
def list_check_ins(
    who: CurrentPrincipal,
    services: AppServices,
    agent_id: str | None = None,
    team_id: str | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
    cursor: str | None = None,
) -> dict[str, Any]:
    """Check-ins by agent and team, ordered by id; pass next_cursor to page on."""
    return page(services.check_ins.page(who, agent_id, team_id, limit, cursor), limit)
