"""Liveness and readiness; readiness includes stuck workers, how far the relay and projectors lag,
and parked events."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from adapters.http.auth import CurrentPrincipal
from adapters.http.routes.common import AppServices

router = APIRouter(tags=["operations"])
STUCK = {
    "component": "perfledger.projector",
    "instance": "host-1:4711:3fa2c1",
    "position": "perfledger.events:2:1873",
    "reason": "OperationalError: connection is lost",
    "since": "2026-10-06T10:15:00+00:00",
    "retrying_seconds": 41.5,
    "retries": 9,
}
PARKED = {
    "consumer": "events",
    "aggregate_id": "5b0c2a0e-8f1c-4c62-9c7e-3f8f9b1a2d44",
    "version": 1,
    "source": "perfledger.events:2:1870",
    "reason": "DataError: PostgreSQL text fields cannot contain NUL (0x00) bytes",
    "digest": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "waits_behind": None,
    "parked_at": "2026-10-06T10:15:00+00:00",
}
READY = {
    200: {
        "content": {
            "application/json": {
                "example": {
                    "ready": True,
                    "max_lag": 1000,
                    "lagging": [],
                    "stuck": [],
                    "parked": {"events": 1},
                    "event_store_position": 530,
                    "relay_position": 530,
                    "relay_lag": 0,
                    "projector_lag": {"perfledger.projector": 0},
                }
            }
        }
    },
    503: {
        "description": "Not ready",
        "content": {
            "application/json": {
                "example": {
                    "ready": False,
                    "reason": "retrying the same position for too long: perfledger.projector",
                    "stuck": [STUCK],
                }
            }
        },
    },
}


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses=READY)  # type: ignore[arg-type]
def readyz(services: AppServices) -> JSONResponse:
    """Ready while no worker is stuck retrying, the stores answer and every lag is within
    PERFLEDGER_READY_MAX_LAG.

    A worker of this process stuck for longer than PERFLEDGER_STUCK_AFTER_SECONDS is named
    at once, before any store is asked; those of other processes are read from the store.
    """
    status, body, headers = services.operations.readiness()
    return JSONResponse(body, status_code=status, headers=headers or None)


@router.get(
    "/v1/admin/parked",
    responses={
        200: {
            "content": {
                "application/json": {"example": {"counts": {"events": 1}, "items": [PARKED]}}
            }
        }
    },
)
def parked(
    who: CurrentPrincipal,
    services: AppServices,
    consumer: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Messages and events a consumer could not apply, with their reason, source offset and
    payload digest (admins and auditors)."""
    return services.operations.parked(who, consumer, limit)
