"""Liveness and readiness; readiness includes how far the relay and projectors lag."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from adapters.http.routes.common import Services
from adapters.sql.positions import consumer_lag, load_relay_position

router = APIRouter(tags=["operations"])


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


@router.get("/readyz")
def readyz(services: Services) -> JSONResponse:
    """Ready while the stores answer and every lag is within PERFLEDGER_READY_MAX_LAG."""
    try:
        report = lag_report(services)
    except Exception as error:  # noqa: BLE001 - any store failure means not ready
        return JSONResponse({"ready": False, "reason": str(error)}, status_code=503)
    limit = services.settings.ready_max_lag
    lags = [report["relay_lag"], *report["projector_lag"].values()]
    ready = all(lag <= limit for lag in lags)
    # Name what lags (relay, projector or ingestor group) so an operator knows where to look.
    lagging = [name for name, lag in (("relay", report["relay_lag"]), *report["projector_lag"].items())
               if lag > limit]
    body = {"ready": ready, "max_lag": limit, "lagging": lagging, **report}
    return JSONResponse(body, status_code=200 if ready else 503)
