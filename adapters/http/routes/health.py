"""Liveness and readiness; readiness includes stuck workers, how far the relay and projectors lag, and parked events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from adapters.http.auth import CurrentPrincipal
from adapters.http.routes.common import Services
from adapters.sql.health import parked_counts, parked_events, stored_health
from adapters.sql.positions import consumer_lag, load_relay_position
from engine.health import describe, is_stale, merge
from engine.scope import require_role

router = APIRouter(tags=["operations"])
STUCK = {"component": "perfledger.projector", "instance": "host-1:4711:3fa2c1", "position": "perfledger.events:2:1873",
         "reason": "OperationalError: connection is lost", "since": "2026-10-06T10:15:00+00:00",
         "retrying_seconds": 41.5, "retries": 9}
PARKED = {"consumer": "events", "aggregate_id": "5b0c2a0e-8f1c-4c62-9c7e-3f8f9b1a2d44", "version": 1,
          "source": "perfledger.events:2:1870", "reason": "DataError: PostgreSQL text fields cannot contain NUL (0x00) "
          "bytes", "digest": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "waits_behind": None,
          "parked_at": "2026-10-06T10:15:00+00:00"}
READY = {200: {"content": {"application/json": {"example": {
    "ready": True, "max_lag": 1000, "lagging": [], "stuck": [], "parked": {"events": 1}, "event_store_position": 530,
    "relay_position": 530, "relay_lag": 0, "projector_lag": {"perfledger.projector": 0}}}}},
    503: {"description": "Not ready", "content": {"application/json": {"example": {
        "ready": False, "reason": "retrying the same position for too long: perfledger.projector",
        "stuck": [STUCK]}}}}}


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


def lag_report(services: Services) -> dict[str, Any]:
    """Relay lag (stored events not yet published) and consumer lag (records not yet applied),
    per consumer group: the projector and the telephony ingestor alike."""
    newest = services.app.recorder.max_notification_id() or 0
    relayed = load_relay_position(services.db, "events")
    return {
        "event_store_position": newest,
        "relay_position": relayed.value if relayed else 0,
        "relay_lag": newest - (relayed.value if relayed else 0),
        "projector_lag": consumer_lag(services.db),
    }


def stuck_answer(stuck: list[dict[str, object]], **more: Any) -> JSONResponse:
    names = sorted({str(s["component"]) for s in stuck})
    reason = "retrying the same position for too long: " + ", ".join(names)
    return JSONResponse({"ready": False, "reason": reason, "stuck": stuck, **more}, status_code=503)


def down_components(services: Services) -> list[str]:
    """Components of this process that say they are down: the embedded broker while it restarts."""
    return [name for name, part in services.components.items() if getattr(part, "available", True) is False]


@router.get("/readyz", responses=READY)  # type: ignore[arg-type]
def readyz(services: Services) -> JSONResponse:
    """Ready while no worker is stuck retrying, the stores answer and every lag is within PERFLEDGER_READY_MAX_LAG.

    A worker of this process stuck for longer than PERFLEDGER_STUCK_AFTER_SECONDS is named
    at once, before any store is asked; those of other processes are read from the store.
    """
    threshold, now = services.settings.stuck_after_seconds, datetime.now(UTC)
    local = services.health.entries()
    stuck_here = [describe(e, now) for e in local if e.stuck_for(now) > threshold]
    if stuck_here:
        return stuck_answer(stuck_here)
    if down := down_components(services):
        return JSONResponse({"ready": False, "reason": "down: " + ", ".join(down), "down": down, "stuck": []},
                            status_code=503)
    try:
        report = lag_report(services)
        everyone = merge(local, stored_health(services.db))
        parked = parked_counts(services.db)
    except Exception as error:  # noqa: BLE001 - any store failure means not ready
        # The pools' timeouts bound this wait, so an outage is reported at once, by name.
        return JSONResponse({"ready": False, "unavailable": ["database"], "reason": str(error)},
                            status_code=503, headers={"Retry-After": str(services.settings.retry_after_seconds)})
    stuck = [describe(e, now) for e in everyone if e.stuck_for(now) > threshold and not is_stale(e, now, threshold)]
    if stuck:
        return stuck_answer(stuck, parked=parked, **report)
    limit = services.settings.ready_max_lag
    lags = [report["relay_lag"], *report["projector_lag"].values()]
    ready = all(lag <= limit for lag in lags)
    # Name what lags (relay, projector or ingestor group) so an operator knows where to look.
    lagging = [name for name, lag in (("relay", report["relay_lag"]), *report["projector_lag"].items())
               if lag > limit]
    body = {"ready": ready, "max_lag": limit, "lagging": lagging, "stuck": [], "down": [], "parked": parked, **report}
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/v1/admin/parked", responses={200: {"content": {"application/json": {"example": {
    "counts": {"events": 1}, "items": [PARKED]}}}}})
def parked(
    who: CurrentPrincipal, services: Services, consumer: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Messages and events a consumer could not apply, with their reason, source offset and payload digest
    (admins and auditors)."""
    require_role(who, "admin", "auditor")
    return {"counts": parked_counts(services.db), "items": parked_events(services.db, consumer, limit)}
