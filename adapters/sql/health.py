"""Component health in the database, for /readyz, /metrics and admins in any process."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.sql.database import Database
from aggregates.faults import safe_text
from engine.health import ComponentHealth, Sink

SCHEMA = (
    # Which worker retries which position since when (engine/health.py), for /readyz and
    # /metrics in any process.
    """CREATE TABLE IF NOT EXISTS component_health (
        component TEXT NOT NULL, instance TEXT NOT NULL, retries BIGINT NOT NULL,
        since TEXT, last_failure TEXT, position TEXT, reason TEXT, updated_at TEXT NOT NULL,
        PRIMARY KEY (component, instance))""",
)


def health_sink(db: Database) -> Sink:
    """Stores each report of a HealthBoard, one row per component instance."""

    def store(entry: ComponentHealth) -> None:
        with db.transaction() as cur:
            cur.execute(
                "INSERT INTO component_health (component, instance, retries, since, last_failure, "
                "position, reason, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (component, instance) DO UPDATE "
                "SET retries = excluded.retries, since = excluded.since, "
                "last_failure = excluded.last_failure, position = excluded.position, "
                "reason = excluded.reason, updated_at = excluded.updated_at",
                (
                    entry.component,
                    entry.instance,
                    entry.retries,
                    _iso(entry.since),
                    _iso(entry.last_failure),
                    entry.position,
                    None if entry.reason is None else safe_text(entry.reason, 1000),
                    datetime.now(UTC).isoformat(),
                ),
            )

    return store


def stored_health(db: Database) -> list[ComponentHealth]:
    """Every component instance that has ever retried, as last stored."""
    rows = db.query(
        "SELECT component, instance, retries, since, last_failure, position, reason "
        "FROM component_health ORDER BY component, instance"
    )
    return [
        ComponentHealth(
            r["component"],
            r["instance"],
            int(r["retries"]),
            _time(r["since"]),
            _time(r["last_failure"]),
            r["position"],
            r["reason"],
        )
        for r in rows
    ]


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
