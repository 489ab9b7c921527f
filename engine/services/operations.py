"""Readiness and the operators' views: stuck or down workers, lags, parked events."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from engine.callers import Principal
from engine.health import HealthBoard, describe, is_stale, merge
from engine.ports import OperationsRecords
from engine.scope import require_role
from engine.settings import Settings

# An answer to /readyz: the status code, the body and any headers.
Readiness = tuple[int, dict[str, Any], dict[str, str]]


class OperationsService:
    """Says whether this process is ready and what the operators should look at."""

    def __init__(
        self,
        records: OperationsRecords,
        settings: Settings,
        health: HealthBoard,
        components: Mapping[str, Any],
    ) -> None:
        self.records = records
        self.settings = settings
        self.health = health
        self.components = components  # the process's workers and broker, added as they start

    def lag_report(self) -> dict[str, Any]:
        """Relay lag (stored events not yet published) and consumer lag (records not yet applied),
        per consumer group: the projector and the telephony ingestor alike."""
        newest = self.records.event_store_position()
        relayed = self.records.relayed_to()
        return {
            "event_store_position": newest,
            "relay_position": relayed,
            "relay_lag": newest - relayed,
            "projector_lag": self.records.consumer_lag(),
        }

    def down_components(self) -> list[str]:
        """Components of this process that say they are down: the embedded broker while it
        restarts."""
        return [
            name
            for name, part in self.components.items()
            if getattr(part, "available", True) is False
        ]

    def readiness(self) -> Readiness:
        """Ready while no worker is stuck retrying, nothing is down, the stores answer and every
        lag is within bounds."""
        threshold, now = self.settings.stuck_after_seconds, datetime.now(UTC)
        local = self.health.entries()
        stuck_here = [describe(e, now) for e in local if e.stuck_for(now) > threshold]
        if stuck_here:
            return stuck_answer(stuck_here)
        if down := self.down_components():
            return (
                503,
                {"ready": False, "reason": "down: " + ", ".join(down), "down": down, "stuck": []},
                {},
            )
        try:
            report = self.lag_report()
            everyone = merge(local, self.records.stored_health())
            parked = self.records.parked_counts()
        except Exception as error:  # noqa: BLE001 - any store failure means not ready
            # The pools' timeouts bound this wait, so an outage is reported at once, by name.
            return (
                503,
                {"ready": False, "unavailable": ["database"], "reason": str(error)},
                {"Retry-After": str(self.settings.retry_after_seconds)},
            )
        stuck = [
            describe(e, now)
            for e in everyone
            if e.stuck_for(now) > threshold and not is_stale(e, now, threshold)
        ]
        if stuck:
            return stuck_answer(stuck, parked=parked, **report)
        limit = self.settings.ready_max_lag
        lags = [report["relay_lag"], *report["projector_lag"].values()]
        ready = all(lag <= limit for lag in lags)
        # Name what lags (relay, projector or ingestor group) so an operator knows where to look.
        lagging = [
            name
            for name, lag in (("relay", report["relay_lag"]), *report["projector_lag"].items())
            if lag > limit
        ]
        body = {
            "ready": ready,
            "max_lag": limit,
            "lagging": lagging,
            "stuck": [],
            "down": [],
            "parked": parked,
            **report,
        }
        return 200 if ready else 503, body, {}

    def parked(self, who: Principal, consumer: str | None, limit: int) -> dict[str, Any]:
        """Messages and events a consumer could not apply (admins and auditors)."""
        require_role(who, "admin", "auditor")
        return {
            "counts": self.records.parked_counts(),
            "items": self.records.parked_list(consumer, limit),
        }


def stuck_answer(stuck: list[dict[str, object]], **more: Any) -> Readiness:
    names = sorted({str(s["component"]) for s in stuck})
    reason = "retrying the same position for too long: " + ", ".join(names)
    return 503, {"ready": False, "reason": reason, "stuck": stuck, **more}, {}
