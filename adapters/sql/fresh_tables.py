"""Fresh read-model tables for a rebuild: create them beside the live ones, compare, swap in.

A rebuild constructs each view with `fresh()` table names (adapters/sql/tables.py), so the
projections write into `rebuild_` tables through the very same code. `swap` replaces the
live tables in one transaction: readers see the old model until it commits and the new
one after, never a half-built one.
"""

from __future__ import annotations

from collections.abc import Sequence

from adapters.sql import archive
from adapters.sql.database import Cursor, Database
from adapters.sql.tables import TableSet

SHOWN = 10


def create_fresh(db: Database, sets: Sequence[TableSet]) -> None:
    """Empty fresh copies of these (fresh-named) table sets, with their indexes."""
    drop_fresh(db, sets)
    with db.transaction() as cur:
        for tables in sets:
            for statement in tables.ddl():
                cur.execute(statement)


def drop_fresh(db: Database, sets: Sequence[TableSet]) -> None:
    with db.transaction() as cur:
        for tables in sets:
            for table in tables.tables():
                cur.execute(f"DROP TABLE IF EXISTS {table}")


def lock_writers(cur: Cursor, tables: Sequence[str]) -> None:
    """Holds off the ingestor and the projectors until the swap commits
    (SQLite: the write lock does)."""
    archive.lock(cur)
    if cur.db.is_postgres:
        cur.execute(f"LOCK TABLE {', '.join(tables)} IN EXCLUSIVE MODE")


def swap(cur: Cursor, fresh: TableSet, live: Sequence[str], fresh_names: Sequence[str]) -> None:
    """Replaces the `live` tables by their `fresh_names` copies, inside the caller's transaction."""
    for table, copy in zip(live, fresh_names, strict=True):
        cur.execute(f"DROP TABLE {table}")
        cur.execute(f"ALTER TABLE {copy} RENAME TO {table}")
    for index in fresh.indexes():
        # SQLite cannot rename an index: drop the fresh one, build it under its own name below.
        cur.execute(f"DROP INDEX IF EXISTS {index}")
    for (
        statement
    ) in fresh.live().ddl():  # every statement is IF NOT EXISTS: only the missing ones run
        cur.execute(statement)


def differences(cur: Cursor, live: Sequence[str], fresh_names: Sequence[str]) -> list[str]:
    """Rows that are only in the live table or only in the rebuilt one, a few per table."""
    found = []
    for table, copy in zip(live, fresh_names, strict=True):
        for label, first, second in (("only live", table, copy), ("only rebuilt", copy, table)):
            cur.execute(
                f"SELECT COUNT(*) AS n FROM (SELECT * FROM {first} EXCEPT SELECT * FROM {second}) d"
            )
            count = int(cur.rows()[0]["n"])
            if not count:
                continue
            cur.execute(
                f"SELECT * FROM (SELECT * FROM {first} EXCEPT SELECT * FROM {second}) d "
                f"LIMIT {SHOWN}"
            )
            found.append(f"{table}: {count} row(s) {label}")
            found.extend(f"  {label}: {row}" for row in cur.rows())
    return found
