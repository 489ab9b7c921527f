"""Feeds the sources of truth (the event store, the telephony archive) through the projections.

These functions feed stored events and archived telephony events, in batches, through
the same projections the live consumers run, into the views they are given (fresh
tables, from adapters/sql/rebuilder.py, which then swaps them in). Each returns where
it stopped, so a second call catches up from there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from adapters.sql import archive
from adapters.sql.isolate import isolate
from adapters.sql.kpi_view import KpiView
from aggregates.contract import EventEnvelope, envelope_of
from projections.parking import park_event, store_source
from projections.store import EventProjection

Progress = Callable[[str, int, int], None]
Transaction = Callable[[], AbstractContextManager[Any]]
ArchiveKey = archive.ArchiveKey
ARCHIVE_START: ArchiveKey = (-1, "")
BATCH = 5000


def feed_events(
    transaction: Transaction,
    projection: EventProjection,
    app: Any,
    after: int,
    progress: Progress,
) -> int:
    """Projects every stored event after notification `after`; returns the last one fed.

    An event that cannot be applied is parked (in the projection's parking), exactly as
    the live projector parks it, and the feed goes on.
    """
    total = app.recorder.max_notification_id() or 0
    position = after
    while True:
        notifications = app.recorder.select_notifications(
            start=position, limit=BATCH, inclusive_of_start=False
        )
        if not notifications:
            return position
        events = [envelope_of(n.id, n.topic, app.event_as_dict(n)) for n in notifications]
        with transaction() as cur:
            apply_parking(cur, projection, events)
        position = notifications[-1].id
        progress("events", position, max(total, position))


def apply_parking(cur: Any, projection: EventProjection, events: list[EventEnvelope]) -> None:
    """Applies events, parking each one that cannot be applied (projections/parking.py)."""

    def apply(part: Sequence[EventEnvelope]) -> None:
        projection.apply(cur, part)

    def park(event: EventEnvelope, error: BaseException) -> None:
        park_event(projection.parking, cur, event, store_source(event), error)

    isolate(cur, events, apply, park)


def feed_archive(
    transaction: Transaction,
    kpi: KpiView,
    decode: Callable[[bytes], dict[str, Any]],
    after: ArchiveKey,
    progress: Progress,
    total: int = 0,
) -> ArchiveKey:
    """Counts every archived telephony event after `after` into the KPI view;
    returns the last key fed.

    `decode` turns an archived message's original bytes into the validated event dict
    the live ingestor counted (the telephony schema's job, passed in from outside).
    """
    done, last = 0, after
    while True:
        with transaction() as cur:
            batch, last = archive.batch_after(cur, last, BATCH)
            if not batch:
                return last
            kpi.apply_events(cur, [decode(payload) for payload in batch], last)
        done += len(batch)
        progress("kpi", done, max(total, done))
