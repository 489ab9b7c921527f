"""Component health and parked events in the database, for /readyz, /metrics and admins in any process."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from adapters.sql.database import Database
from aggregates.faults import safe_text
from engine.health import ComponentHealth, Sink
from projections.parking import park


def health_sink(db: Database) -> Sink:
    """Stores each report of a HealthBoard, one row per component instance."""

    def store(entry: ComponentHealth) -> None:
        with db.transaction() as cur:
            cur.execute(
                "INSERT INTO component_health (component, instance, retries, since, last_failure, position, "
                "reason, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (component, instance) DO UPDATE "
                "SET retries = excluded.retries, since = excluded.since, last_failure = excluded.last_failure, "
                "position = excluded.position, reason = excluded.reason, updated_at = excluded.updated_at",
                (entry.component, entry.instance, entry.retries, _iso(entry.since), _iso(entry.last_failure),
                 entry.position, None if entry.reason is None else safe_text(entry.reason, 1000),
                 datetime.now(UTC).isoformat()),
            )
    return store


class SqlParking:
    """The Parking port on `parked_events`, one short transaction per parked message."""

    def __init__(self, db: Database, consumer: str) -> None:
        self.db = db
        self.consumer = consumer

    def park(self, aggregate_id: str, version: int, source: str, reason: str, payload: bytes | None) -> None:
        with self.db.transaction() as cur:
            park(cur, self.consumer, aggregate_id, version, source, reason, payload)


def stored_health(db: Database) -> list[ComponentHealth]:
    """Every component instance that has ever retried, as last stored."""
    rows = db.query("SELECT component, instance, retries, since, last_failure, position, reason "
                    "FROM component_health ORDER BY component, instance")
    return [ComponentHealth(r["component"], r["instance"], int(r["retries"]), _time(r["since"]),
                            _time(r["last_failure"]), r["position"], r["reason"]) for r in rows]


def parked_counts(db: Database) -> dict[str, int]:
    """Parked events per consumer."""
    rows = db.query("SELECT consumer, COUNT(*) AS n FROM parked_events GROUP BY consumer ORDER BY consumer")
    return {r["consumer"]: int(r["n"]) for r in rows}


def parked_events(db: Database, consumer: str | None, limit: int) -> list[dict[str, Any]]:
    """Parked events, oldest first, optionally of one consumer."""
    where, params = ("WHERE consumer = ?", [consumer]) if consumer else ("", [])
    rows = db.query(
        "SELECT consumer, aggregate_id, version, source, reason, digest, waits_behind, parked_at "
        f"FROM parked_events {where} ORDER BY parked_at, consumer, aggregate_id, version LIMIT ?",
        (*params, limit),
    )
    return [{**r, "version": int(r["version"]),
             "waits_behind": None if r["waits_behind"] is None else int(r["waits_behind"])} for r in rows]


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
