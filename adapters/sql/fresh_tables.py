"""Fresh read-model tables for a rebuild: create them beside the live ones, compare, swap in.

A rebuild writes into `rebuild_<table>` through `RenamingCursor`, which rewrites table
names in the SQL the projections issue, so the projections themselves run unchanged.
`swap` replaces the live tables in one transaction: readers see the old model until it
commits and the new one after, never a half-built one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from adapters.sql.database import Cursor, Database
from adapters.sql.schema import TABLES

PREFIX = "rebuild_"
EVENT_MODELS = ("documents", "history")
# What the events projection parks (projections/parking.py) is rebuilt beside the models but
# not compared row for row: its sources and times are those of each run.
EVENT_PARKING = ("parked_events",)
KPI_MODELS = ("kpi_sums", "telephony_calls", "telephony_linked", "telephony_call_agents",
              "telephony_corrections", "telephony_effective")
# Written by the KPI projection for the goal-progress manager, not a read model: a rebuild
# writes it to scratch so the live marks are left alone.
SCRATCH = ("kpi_changes",)
SHOWN = 10


def _pattern(tables: Sequence[str]) -> re.Pattern[str]:
    return re.compile(r"\b(" + "|".join(re.escape(t) for t in tables) + r")\b")


class RenamingCursor:
    """A cursor that sends every statement about `tables` to their fresh copies."""

    def __init__(self, cur: Cursor, tables: Sequence[str]) -> None:
        self.cur = cur
        self.db = cur.db
        self._pattern = _pattern(tables)

    def _sql(self, text: str) -> str:
        return self._pattern.sub(lambda m: PREFIX + m.group(1), text)

    def execute(self, text: str, params: Sequence[Any] = ()) -> RenamingCursor:
        self.cur.execute(self._sql(text), params)
        return self

    def executemany(self, text: str, rows: Sequence[Sequence[Any]]) -> None:
        self.cur.executemany(self._sql(text), rows)

    def rows(self) -> list[dict[str, Any]]:
        return self.cur.rows()

    def one(self) -> dict[str, Any] | None:
        return self.cur.one()


def _ddl(tables: Sequence[str]) -> list[str]:
    """The schema statements (tables and indexes) of these tables."""
    pattern = re.compile(r"\b(?:TABLE IF NOT EXISTS|ON)\s+(" + "|".join(tables) + r")\b")
    return [s for s in TABLES if pattern.search(s)]


def create_fresh(db: Database, tables: Sequence[str]) -> None:
    """Empty `rebuild_` copies of the tables, with their indexes (under prefixed names)."""
    drop_fresh(db, tables)
    with db.transaction() as cur:
        for statement in _ddl(tables):
            renamed = _pattern(tables).sub(lambda m: PREFIX + m.group(1), statement)
            renamed = re.sub(r"INDEX IF NOT EXISTS (\w+)", rf"INDEX IF NOT EXISTS {PREFIX}\1", renamed)
            cur.execute(renamed)


def drop_fresh(db: Database, tables: Sequence[str]) -> None:
    with db.transaction() as cur:
        for table in tables:
            cur.execute(f"DROP TABLE IF EXISTS {PREFIX}{table}")


def lock_writers(cur: Cursor, tables: Sequence[str]) -> None:
    """Holds off the ingestor and the projectors until the swap commits (SQLite: the write lock does)."""
    if cur.db.is_postgres:
        cur.execute("LOCK TABLE telephony_archive IN SHARE ROW EXCLUSIVE MODE")
        cur.execute(f"LOCK TABLE {', '.join(tables)} IN EXCLUSIVE MODE")


def swap(cur: Cursor, tables: Sequence[str]) -> None:
    """Replaces the live tables by their fresh copies, inside the caller's transaction."""
    for table in tables:
        cur.execute(f"DROP TABLE {table}")
        cur.execute(f"ALTER TABLE {PREFIX}{table} RENAME TO {table}")
    for statement in _ddl(tables):
        name = re.search(r"INDEX IF NOT EXISTS (\w+)", statement)
        if name:
            # SQLite cannot rename an index: drop the prefixed one, build it under its own name.
            cur.execute(f"DROP INDEX IF EXISTS {PREFIX}{name.group(1)}")
            cur.execute(statement)


def differences(cur: Cursor, tables: Sequence[str]) -> list[str]:
    """Rows that are only in the live table or only in the rebuilt one, a few per table."""
    found = []
    for table in tables:
        for label, first, second in (("only live", table, PREFIX + table), ("only rebuilt", PREFIX + table, table)):
            cur.execute(f"SELECT COUNT(*) AS n FROM (SELECT * FROM {first} EXCEPT SELECT * FROM {second}) d")
            count = int(cur.rows()[0]["n"])
            if not count:
                continue
            cur.execute(f"SELECT * FROM (SELECT * FROM {first} EXCEPT SELECT * FROM {second}) d LIMIT {SHOWN}")
            found.append(f"{table}: {count} row(s) {label}")
            found.extend(f"  {label}: {row}" for row in cur.rows())
    return found


def parked_rows(cur: Cursor) -> list[dict[str, Any]]:
    """What the rebuilt events projection parked."""
    cur.execute(f"SELECT aggregate_id, version, source, reason, waits_behind FROM {PREFIX}parked_events "
                "ORDER BY aggregate_id, version")
    return cur.rows()


def swap_parked(cur: Cursor, consumer: str) -> None:
    """The live parked entries of the events projection become the rebuild's, in the swap's transaction."""
    cur.execute("DELETE FROM parked_events WHERE consumer = ?", (consumer,))
    cur.execute(f"INSERT INTO parked_events SELECT * FROM {PREFIX}parked_events WHERE consumer = ?", (consumer,))
