"""`perfledger rebuild`: every read model rebuilt into fresh tables, then swapped in or compared.

Phase one feeds the event store and the archive into `rebuild_` tables in many short
transactions, so commands and ingestion carry on meanwhile. Phase two takes the writers'
locks, catches up with what arrived during phase one, and then either swaps the fresh
tables in (one transaction) or, with --check, lists every row that differs from live.
The fresh tables are the views' own, constructed with fresh names (adapters/sql/tables.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from adapters.sql import archive
from adapters.sql.database import Database
from adapters.sql.documents_view import DocTables, DocView
from adapters.sql.fresh_tables import create_fresh, differences, drop_fresh, lock_writers, swap
from adapters.sql.kpi_view import KpiTables, KpiView
from adapters.sql.parked import ParkedTables, ParkedView
from adapters.sql.rebuild_feed import ARCHIVE_START, Progress, feed_archive, feed_events
from adapters.sql.roster_view import RosterTables, RosterView
from adapters.sql.tables import FRESH, TableSet
from engine.ports import Roster
from projections.parking import EVENTS
from projections.store import EventProjection

PREFIX = FRESH


@dataclass
class Outcome:
    """What a rebuild did: events and archive rows fed, events it could not apply, any difference
    from live."""

    events: int = 0
    archived: int = 0
    roster: int = 0
    differences: list[str] = field(default_factory=list)
    parked: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Fresh:
    """The fresh tables of the chosen read models, and which of them are compared with live and
    swapped in."""

    sets: list[TableSet]
    swapped: list[
        tuple[TableSet, tuple[str, ...], tuple[str, ...]]
    ]  # (fresh set, live names, fresh names)

    def live_names(self) -> list[str]:
        return [name for _, live, _ in self.swapped for name in live]


def _fresh(projections: Sequence[str]) -> Fresh:
    sets: list[TableSet] = []
    swapped: list[tuple[TableSet, tuple[str, ...], tuple[str, ...]]] = []
    if "events" in projections:
        docs = DocTables().fresh()
        # What the events projection parks is rebuilt beside the models but not compared row
        # for row: its sources and times are those of each run.
        sets += [docs, ParkedTables().fresh()]
        swapped.append((docs, docs.live().tables(), docs.tables()))
    if "kpi" in projections:
        for tables in KpiTables().fresh().sets():
            sets.append(tables)
            swapped.append((tables, tables.live().models(), tables.models()))
    if "roster" in projections:
        # The position row is compared too: live is caught up to the same notification first.
        roster = RosterTables().fresh()
        sets.append(roster)
        swapped.append((roster, roster.live().tables(), roster.tables()))
    return Fresh(sets, swapped)


def rebuild(
    db: Database,
    app: Any,
    decode: Callable[[bytes], dict[str, Any]],
    progress: Progress,
    projections: Sequence[str] = ("events", "kpi", "roster"),
    check: bool = False,
    roster: Roster | None = None,
) -> Outcome:
    """Rebuilds the chosen read models; with `check`, compares them with live instead of
    swapping."""
    fresh = _fresh(projections)
    fresh_parked = ParkedTables().fresh()
    events = EventProjection(DocView(DocTables().fresh()), ParkedView(fresh_parked))
    kpi = KpiView(KpiTables().fresh(), roster)
    live_kpi = KpiView(roster=roster)
    # Both read the roster once, before any transaction; both are attributed by that value.
    live_kpi.refresh()
    kpi.refresh()
    create_fresh(db, fresh.sets)
    outcome = Outcome()
    try:
        archive_total = archive.count(db)
        position, key = 0, ARCHIVE_START
        if "events" in projections:
            position = feed_events(_transactions(db), events, app, 0, progress)
        if "roster" in projections:
            with db.transaction() as cur:
                RosterView(RosterTables().fresh()).feed(
                    cur, app, app.recorder.max_notification_id()
                )
        if "kpi" in projections:
            key = feed_archive(
                _transactions(db),
                kpi,
                decode,
                ARCHIVE_START,
                _counting(progress, outcome),
                archive_total,
            )
        with db.transaction() as cur:
            parking = "events" in projections
            lock_writers(cur, [*fresh.live_names(), *((ParkedTables().parked,) if parking else ())])
            if "events" in projections:
                outcome.events = feed_events(lambda: _same(cur), events, app, position, _quiet)
            if "kpi" in projections:
                feed_archive(lambda: _same(cur), kpi, decode, key, _counting(_quiet, outcome))
                # Both models under the same roster: the live one re-attributes what a roster
                # change moved and it has not yet seen, the fresh one, if it saw no event yet.
                live_kpi.sync(cur)
                kpi.sync(cur)
            if "roster" in projections:
                # Live is fed to the same notification as the rebuild, so both hold the same.
                stop = app.recorder.max_notification_id() or 0
                RosterView().feed(cur, app, stop)
                outcome.roster = RosterView(RosterTables().fresh()).feed(cur, app, stop)
            if parking:
                outcome.parked = ParkedView(fresh_parked).rows(cur)
            if check:
                outcome.differences = [
                    line
                    for tables, _, _ in fresh.swapped
                    for line in differences(cur, tables.live().compared(), tables.compared())
                ]
            else:
                if parking:
                    ParkedView().take_over(cur, fresh_parked, EVENTS)
                for tables, live, names in fresh.swapped:
                    swap(cur, tables, live, names)
    finally:
        drop_fresh(db, fresh.sets)
    return outcome


def _transactions(db: Database) -> Callable[[], Any]:
    return db.transaction


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


__all__ = ["PREFIX", "Outcome", "rebuild"]
