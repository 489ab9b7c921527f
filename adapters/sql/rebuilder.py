"""`perfledger rebuild`: every read model rebuilt into fresh tables, then swapped in or compared.

Phase one feeds the event store and the archive into `rebuild_` tables in many short
transactions, so commands and ingestion carry on meanwhile. Phase two takes the writers'
locks, catches up with what arrived during phase one, and then either swaps the fresh
tables in (one transaction) or, with --check, lists every row that differs from live.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from adapters.sql.database import Database
from adapters.sql.fresh_tables import (
    EVENT_MODELS,
    EVENT_PARKING,
    KPI_MODELS,
    PREFIX,
    SCRATCH,
    RenamingCursor,
    create_fresh,
    differences,
    drop_fresh,
    lock_writers,
    parked_rows,
    swap,
    swap_parked,
)
from projections.parking import EVENTS
from projections.rebuild import ARCHIVE_START, Progress, feed_archive, feed_events

MODELS = {"events": EVENT_MODELS, "kpi": KPI_MODELS}


@dataclass
class Outcome:
    """What a rebuild did: events and archive rows fed, events it could not apply, any difference from live."""

    events: int = 0
    archived: int = 0
    differences: list[str] = field(default_factory=list)
    parked: list[dict[str, Any]] = field(default_factory=list)


def rebuild(
    db: Database, app: Any, decode: Callable[[bytes], dict[str, Any]], progress: Progress,
    projections: Sequence[str] = ("events", "kpi"), check: bool = False,
) -> Outcome:
    """Rebuilds the chosen read models; with `check`, compares them with live instead of swapping."""
    models = [t for name in projections for t in MODELS[name]]
    parking = EVENT_PARKING if "events" in projections else ()
    tables = [*models, *parking, *(SCRATCH if "kpi" in projections else ())]
    create_fresh(db, tables)
    outcome = Outcome()
    try:
        archive_total = db.query("SELECT COUNT(*) AS n FROM telephony_archive")[0]["n"]
        position, key = 0, ARCHIVE_START
        fresh = _fresh_factory(db, tables)
        if "events" in projections:
            position = feed_events(fresh, app, 0, progress)
        if "kpi" in projections:
            key = feed_archive(fresh, decode, ARCHIVE_START, _counting(progress, outcome), int(archive_total))
        with db.transaction() as cur:
            lock_writers(cur, [*models, *parking])
            held = RenamingCursor(cur, tables)
            if "events" in projections:
                outcome.events = feed_events(lambda: _same(held), app, position, _quiet)
            if "kpi" in projections:
                feed_archive(lambda: _same(held), decode, key, _counting(_quiet, outcome))
            if parking:
                outcome.parked = parked_rows(cur)
            if check:
                outcome.differences = differences(cur, models)
            else:
                if parking:
                    swap_parked(cur, EVENTS)
                swap(cur, models)
    finally:
        drop_fresh(db, tables)
    return outcome


@contextmanager
def _fresh(db: Database, tables: Sequence[str]) -> Iterator[Any]:
    with db.transaction() as cur:
        yield RenamingCursor(cur, tables)


def _fresh_factory(db: Database, tables: Sequence[str]) -> Callable[[], Any]:
    return lambda: _fresh(db, tables)


@contextmanager
def _same(cur: Any) -> Iterator[Any]:
    yield cur


def _quiet(label: str, done: int, total: int) -> None:
    return None


def _counting(progress: Progress, outcome: Outcome) -> Progress:
    start = outcome.archived

    def report(label: str, done: int, total: int) -> None:
        outcome.archived = start + done
        progress(label, done, total)
    return report


__all__ = ["MODELS", "PREFIX", "Outcome", "rebuild"]
