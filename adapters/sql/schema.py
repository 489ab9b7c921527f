"""Read-model tables and the positions that make projections exactly-once."""

from __future__ import annotations

from adapters.sql.archive import ArchiveTables
from adapters.sql.database import Database
from adapters.sql.documents_view import DocTables
from adapters.sql.kpi_view import KpiTables, KpiView
from adapters.sql.parked import ParkedTables

TABLES = (
    *DocTables().ddl(),
    *ArchiveTables().ddl(),
    *KpiTables().ddl(),
    *ParkedTables().ddl(),
    """CREATE TABLE IF NOT EXISTS consumer_offsets (
        consumer TEXT NOT NULL, topic TEXT NOT NULL, partition_id INTEGER NOT NULL,
        life TEXT NOT NULL, next_offset BIGINT NOT NULL, highwater BIGINT NOT NULL,
        PRIMARY KEY (consumer, topic, partition_id))""",
    """CREATE TABLE IF NOT EXISTS goal_progress_marks (
        goal_id TEXT NOT NULL, interval_start TEXT NOT NULL, PRIMARY KEY (goal_id, interval_start))""",
    """CREATE TABLE IF NOT EXISTS ingest_counters (
        name TEXT PRIMARY KEY, value BIGINT NOT NULL)""",
    # The same counts per reception day (UTC) and source, written with them (GET /v1/telephony/deliveries).
    """CREATE TABLE IF NOT EXISTS ingest_deliveries (
        day TEXT NOT NULL, source TEXT NOT NULL, received BIGINT NOT NULL, accepted BIGINT NOT NULL,
        duplicates BIGINT NOT NULL, dead_lettered BIGINT NOT NULL, PRIMARY KEY (day, source))""",
    # Tamper evidence (adapters/sql/sealer.py): seals of the event store.
    """CREATE TABLE IF NOT EXISTS event_seals (
        notification_id BIGINT PRIMARY KEY, originator_id TEXT NOT NULL,
        originator_version INTEGER NOT NULL, digest TEXT NOT NULL, hash TEXT NOT NULL,
        prev_hash TEXT NOT NULL, chain TEXT NOT NULL, sealed_at TEXT NOT NULL)""",
    "CREATE UNIQUE INDEX IF NOT EXISTS event_seals_by_aggregate ON event_seals (originator_id, originator_version)",
    """CREATE TABLE IF NOT EXISTS snapshot_seals (
        originator_id TEXT NOT NULL, originator_version INTEGER NOT NULL, seal TEXT NOT NULL,
        PRIMARY KEY (originator_id, originator_version))""",
    # Which worker retries which position since when (engine/health.py), for /readyz and
    # /metrics in any process.
    """CREATE TABLE IF NOT EXISTS component_health (
        component TEXT NOT NULL, instance TEXT NOT NULL, retries BIGINT NOT NULL,
        since TEXT, last_failure TEXT, position TEXT, reason TEXT, updated_at TEXT NOT NULL,
        PRIMARY KEY (component, instance))""",
    # HTTP telephony batches, durable before they are acknowledged (adapters/telephony/inbox.py).
    """CREATE TABLE IF NOT EXISTS telephony_inbox (
        event_id TEXT PRIMARY KEY, msg_key TEXT NOT NULL, payload TEXT NOT NULL, life TEXT,
        accepted_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS relay_position (
        name TEXT PRIMARY KEY, life TEXT NOT NULL, position BIGINT NOT NULL, updated_at TEXT NOT NULL)""",
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
