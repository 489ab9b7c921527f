"""Rebuild read models from the sources of truth: the event store and the telephony archive.

These functions feed stored events and archived telephony events, in batches, through
the same projections the live consumers run, into whatever tables the cursors they are
given write to (adapters/sql/rebuilder.py gives them fresh tables, then swaps them in).
Each returns where it stopped, so a second call catches up from there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

from aggregates.contract import EventEnvelope, envelope_of
from projections.kpi_store import apply_events
from projections.parking import isolate, park_event, store_source
from projections.store import Cursor, EventProjection

Progress = Callable[[str, int, int], None]
Transaction = Callable[[], AbstractContextManager[Cursor]]
ArchiveKey = tuple[int, str]  # (seq, event_id): the archive's reading order
ARCHIVE_START: ArchiveKey = (-1, "")
BATCH = 5000


def feed_events(transaction: Transaction, app: Any, after: int, progress: Progress) -> int:
    """Projects every stored event after notification `after`; returns the last one fed.

    An event that cannot be applied is parked (in whatever `parked_events` the cursor
    writes to), exactly as the live projector parks it, and the feed goes on.
    """
    total = app.recorder.max_notification_id() or 0
    projection, position = EventProjection(), after
    while True:
        notifications = app.recorder.select_notifications(start=position, limit=BATCH, inclusive_of_start=False)
        if not notifications:
            return position
        events = [envelope_of(n.id, n.topic, app.event_as_dict(n)) for n in notifications]
        with transaction() as cur:
            apply_parking(cur, projection, events)
        position = notifications[-1].id
        progress("events", position, max(total, position))


def apply_parking(cur: Cursor, projection: EventProjection, events: list[EventEnvelope]) -> None:
    """Applies events, parking each one that cannot be applied (projections/parking.py)."""

    def apply(part: Sequence[EventEnvelope]) -> None:
        projection.apply(cur, part)

    def park(event: EventEnvelope, error: BaseException) -> None:
        park_event(cur, event, store_source(event), error)

    isolate(cur, events, apply, park)


def feed_archive(
    transaction: Transaction, decode: Callable[[bytes], dict[str, Any]], after: ArchiveKey, progress: Progress,
    total: int = 0,
) -> ArchiveKey:
    """Counts every archived telephony event after `after` into the KPI sums; returns the last key fed.

    `decode` turns an archived message's original bytes into the validated event dict
    the live ingestor counted (the telephony schema's job, passed in from outside).
    """
    done, last = 0, after
    while True:
        with transaction() as cur:
            batch, last = _archive_batch(cur, last)
            if not batch:
                return last
            apply_events(cur, [decode(payload) for payload in batch], last)
        done += len(batch)
        progress("kpi", done, max(total, done))


def _archive_batch(cur: Cursor, after: ArchiveKey) -> tuple[list[bytes], ArchiveKey]:
    cur.execute(
        "SELECT seq, event_id, payload FROM telephony_archive WHERE seq > ? OR (seq = ? AND event_id > ?) "
        "ORDER BY seq, event_id LIMIT ?",
        (after[0], after[0], after[1], BATCH),
    )
    rows = cur.rows()
    if not rows:
        return [], after
    return [r["payload"].encode() for r in rows], (int(rows[-1]["seq"]), rows[-1]["event_id"])


def count(cur: Cursor, table: str) -> int:
    cur.execute(f"SELECT COUNT(*) AS n FROM {table}")
    return int(cur.rows()[0]["n"])


def batches(items: list[Any], size: int = BATCH) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
