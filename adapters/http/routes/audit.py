"""The audit trail of any aggregate, its state at any point, and a review's score changes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from adapters.http.auth import CurrentPrincipal
from adapters.http.routes.common import AppServices
from engine.commands import Moment

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get("/verify")
def verify_all(
    who: CurrentPrincipal,
    services: AppServices,
    events_head: str | None = None,
    archive_head: str | None = None,
) -> dict[str, Any]:
    """Checks every stored event, archived telephony event and snapshot against its seal;
    names the first that differs.

    Each chain is compared with the newest head the sealer published outside the database
    (the data directory's file, then Kafka), or with `events_head` / `archive_head` (`N:CHAIN`,
    as an earlier verify reported them): a chain that no longer reaches it was cut off.
    """
    return services.audit.verify(who, events_head, archive_head)


@router.get("/{aggregate_id}/events")
def events(aggregate_id: str, who: CurrentPrincipal, services: AppServices) -> list[dict[str, Any]]:
    """Every event of the aggregate, oldest first, with actor and hash chain."""
    return services.audit.events(who, aggregate_id)


@router.get("/{aggregate_id}/state")
def state(
    aggregate_id: str,
    who: CurrentPrincipal,
    services: AppServices,
    version: int | None = Query(default=None, ge=1),
    as_of: Moment | None = None,
) -> dict[str, Any]:
    """The aggregate as it was at a version or time (default: now),
    replayed from the event store."""
    result = services.audit.state(who, aggregate_id, version, as_of)
    # The state's attributes stay at the top level (the v1 shape); the replay adds how it got there.
    replayed = {"at": result["at"], "events": result["events"], "scores": result.get("scores")}
    return {"type": result["type"], **result["state"], "replayed": replayed}


@router.get("/reviews/{review_id}/score-changes")
def score_changes(
    review_id: str, who: CurrentPrincipal, services: AppServices, goals: bool = True
) -> list[dict[str, Any]]:
    """Every change of a score behind the review, oldest first: criteria, calibration and,
    unless goals=false, the in-scope goals' target revisions and progress."""
    return services.audit.score_changes(who, review_id, goals)
