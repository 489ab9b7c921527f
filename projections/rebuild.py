"""Rebuild read models from the sources of truth: the event store and the telephony archive.

Each rebuild runs in one transaction, so readers see the old model until the new one is
complete, and a failed rebuild leaves the old one in place. Projections are the same
functions the live consumers run, so rebuilt rows equal live rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol

from engine.envelope import envelope_of
from projections.kpi_store import apply_events
from projections.store import Cursor, EventProjection

Progress = Callable[[str, int, int], None]
BATCH = 5000
KPI_TABLES = ("kpi_sums", "telephony_calls", "telephony_linked")
EVENT_TABLES = ("documents", "history")


class Database(Protocol):
    is_postgres: bool

    def transaction(self) -> AbstractContextManager[Any]: ...


def rebuild_kpis(db: Database, progress: Progress, decode: Callable[[bytes], dict[str, Any]]) -> int:
    """Recounts every KPI from the archived telephony events; returns how many were counted.

    `decode` turns an archived message's original bytes into the validated event dict
    the live ingestor counted (the telephony schema's job, passed in from outside).
    """
    with db.transaction() as cur:
        if db.is_postgres:
            cur.execute("LOCK TABLE telephony_archive IN SHARE ROW EXCLUSIVE MODE")
        total = _count(cur, "telephony_archive")
        for table in KPI_TABLES:
            cur.execute(f"DELETE FROM {table}")
        done = 0
        for batch in _archive_batches(cur, decode):
            apply_events(cur, batch)
            done += len(batch)
            progress("kpi", done, total)
    return done


def _archive_batches(cur: Cursor, decode: Callable[[bytes], dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    last = (-1, "")
    while True:
        cur.execute(
            "SELECT seq, event_id, payload FROM telephony_archive WHERE seq > ? OR (seq = ? AND event_id > ?) "
            "ORDER BY seq, event_id LIMIT ?",
            (last[0], last[0], last[1], BATCH),
        )
        rows = cur.rows()
        if not rows:
            return
        last = (int(rows[-1]["seq"]), rows[-1]["event_id"])
        yield [decode(r["payload"].encode()) for r in rows]


def rebuild_events(db: Database, app: Any, progress: Progress) -> int:
    """Re-projects documents and history from every event in the event store."""
    total = app.recorder.max_notification_id() or 0
    projection = EventProjection()
    with db.transaction() as cur:
        for table in EVENT_TABLES:
            cur.execute(f"DELETE FROM {table}")
        position = 0
        while True:
            notifications = app.recorder.select_notifications(
                start=position, limit=BATCH, inclusive_of_start=False)
            if not notifications:
                break
            events = [envelope_of(n.id, n.topic, app.event_as_dict(n)) for n in notifications]
            projection.apply(cur, events)
            position = notifications[-1].id
            progress("events", position, total)
    return position


def _count(cur: Cursor, table: str) -> int:
    cur.execute(f"SELECT COUNT(*) AS n FROM {table}")
    return int(cur.rows()[0]["n"])
