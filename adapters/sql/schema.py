"""Every table of the read-model database: each module that owns tables gives its schema."""

from __future__ import annotations

from adapters.sql import health, inbox_store, ingest_counts, notify_store, positions
from adapters.sql.archive import ArchiveTables
from adapters.sql.database import Database
from adapters.sql.documents_view import DocTables
from adapters.sql.kpi_view import KpiTables, KpiView
from adapters.sql.parked import ParkedTables
from adapters.sql.roster_view import RosterTables
from adapters.sql.seals import SealTables

TABLES = (
    *DocTables().ddl(),
    *ArchiveTables().ddl(),
    *KpiTables().ddl(),
    *ParkedTables().ddl(),
    *RosterTables().ddl(),
    *SealTables().ddl(),
    *positions.SCHEMA,
    *ingest_counts.SCHEMA,
    *health.SCHEMA,
    *inbox_store.SCHEMA,
    *notify_store.SCHEMA,
)


def create_tables(db: Database) -> None:
    """Creates every read-model table that does not exist yet."""
    with db.transaction() as cur:
        if db.is_postgres:
            # Several processes may start together; one creates, the others wait.
            cur.execute("SELECT pg_advisory_xact_lock(4711)")
        for statement in TABLES:
            cur.execute(statement)
        KpiView().backfill_call_agents(cur)
        KpiView().backfill_ledger(cur)
