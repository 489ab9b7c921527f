"""Telephony events over HTTP: parsed here, validated and sent on by the telephony service."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from adapters.http.auth import CurrentPrincipal
from adapters.http.errors import problem
from adapters.http.routes.common import AppServices
from engine.ports import StreamUnavailable
from engine.services import Services
from engine.tokens import Principal

router = APIRouter(tags=["telephony"])
MAX_EVENTS = 10_000


@router.post("/v1/telephony/events", status_code=202)
async def ingest(request: Request, who: CurrentPrincipal, services: AppServices) -> Any:
    """Accepts a JSON array of telephony events; answers, per event, whether it is accepted,
    a duplicate or rejected."""
    services.telephony.may_ingest(who)
    try:
        items = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError, RecursionError):
        return problem(
            422, "body: not valid JSON", errors=[{"field": "body", "reason": "not valid JSON"}]
        )
    if not isinstance(items, list) or len(items) > MAX_EVENTS:
        reason = f"must be a JSON array of at most {MAX_EVENTS} events"
        return problem(422, f"body: {reason}", errors=[{"field": "body", "reason": reason}])
    return await run_in_threadpool(_accept, services, who, items)


def _accept(services: Services, who: Principal, items: list[Any]) -> JSONResponse:
    try:
        answer = services.telephony.ingest(who, items)
    except StreamUnavailable as error:
        return problem(503, f"the event stream is unavailable: {error}")
    return JSONResponse(answer, status_code=202)


@router.get("/v1/telephony/deliveries")
def deliveries_of_day(who: CurrentPrincipal, services: AppServices, day: date) -> dict[str, Any]:
    """Received, accepted, duplicates and dead-lettered on one UTC day, per source, to reconcile
    with the sender."""
    return services.telephony.deliveries(who, day)


@router.get("/v1/telephony/events/{event_id}/corrections")
def corrections(event_id: str, who: CurrentPrincipal, services: AppServices) -> dict[str, Any]:
    """One event's audit trail: the original as archived, its corrections and voids, and what it
    counts as."""
    return services.telephony.corrections(who, event_id)


@router.get("/v1/telephony/mismatches")
def mismatches(who: CurrentPrincipal, services: AppServices) -> dict[str, Any]:
    """Surveys and QA scores naming an agent who did not handle their call, and the call's agent
    they count for."""
    return services.telephony.mismatches(who)


@router.get("/v1/telephony/team-mismatches")
def team_mismatches(
    who: CurrentPrincipal,
    services: AppServices,
    team_id: Annotated[
        str | None,
        Query(description="only disagreements where this team is the roster's or telephony's"),
    ] = None,
) -> dict[str, Any]:
    """Agents whose telephony team differs from their roster team at the time: the events count
    for the roster's team; each row gives the agent, both teams, the events and the intervals."""
    return services.telephony.team_mismatches(who, team_id)
