"""The audit trail of any aggregate."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from adapters.http.auth import CurrentPrincipal, check_read
from adapters.http.routes.common import Services
from adapters.sql.queries import find_document, history
from aggregates.errors import NotFound

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get("/{aggregate_id}/events")
def events(aggregate_id: str, who: CurrentPrincipal, services: Services) -> list[dict[str, Any]]:
    """Every event of the aggregate, oldest first, with actor and hash chain."""
    found = find_document(services.db, aggregate_id)
    rows = history(services.db, aggregate_id)
    if not rows:
        raise NotFound(f"no events for {aggregate_id}", id=aggregate_id)
    check_read(who, found[1] if found else {})
    return rows
