"""Read-model tables and the positions that make projections exactly-once."""

from __future__ import annotations

from adapters.sql.database import Database
from projections.kpi import COUNTERS
from projections.kpi_store import backfill_call_agents

TABLES = (
    """CREATE TABLE IF NOT EXISTS documents (
        kind TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,
        agent_id TEXT, team_id TEXT, status TEXT, doc TEXT NOT NULL, updated_at TEXT NOT NULL,
        PRIMARY KEY (kind, id))""",
    "CREATE INDEX IF NOT EXISTS documents_by_agent ON documents (kind, agent_id, status)",
    "CREATE INDEX IF NOT EXISTS documents_by_team ON documents (kind, team_id, status)",
    # The dashboard's lists (goals, check-ins, reviews, alerts by team, agent or status) page
    # by id: with id in the index they read one page of rows, however long the history grows.
    "CREATE INDEX IF NOT EXISTS documents_by_team_id ON documents (kind, team_id, id)",
    "CREATE INDEX IF NOT EXISTS documents_by_agent_id ON documents (kind, agent_id, id)",
    "CREATE INDEX IF NOT EXISTS documents_by_status_id ON documents (kind, status, id)",
    """CREATE TABLE IF NOT EXISTS history (
        aggregate_id TEXT NOT NULL, version INTEGER NOT NULL, type TEXT NOT NULL,
        at TEXT NOT NULL, actor TEXT, data TEXT NOT NULL, notification_id BIGINT NOT NULL,
        hash TEXT NOT NULL, prev_hash TEXT NOT NULL,
        PRIMARY KEY (aggregate_id, version))""",
    """CREATE TABLE IF NOT EXISTS consumer_offsets (
        consumer TEXT NOT NULL, topic TEXT NOT NULL, partition_id INTEGER NOT NULL,
        life TEXT NOT NULL, next_offset BIGINT NOT NULL, highwater BIGINT NOT NULL,
        PRIMARY KEY (consumer, topic, partition_id))""",
    """CREATE TABLE IF NOT EXISTS telephony_archive (
        event_id TEXT PRIMARY KEY, seq BIGINT NOT NULL, type TEXT NOT NULL, agent_id TEXT NOT NULL,
        team_id TEXT NOT NULL, occurred_at TEXT NOT NULL, recorded_at TEXT NOT NULL,
        payload TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS telephony_calls (
        call_ref TEXT PRIMARY KEY, occurred_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS telephony_linked (
        event_id TEXT PRIMARY KEY, call_ref TEXT NOT NULL, placed_at TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS telephony_linked_by_call ON telephony_linked (call_ref)",
    # Who handled each call (a transferred call has several legs): a survey or QA score for a
    # call already known for other agents only is refused (adapters/telephony/screening.py).
    """CREATE TABLE IF NOT EXISTS telephony_call_agents (
        call_id TEXT NOT NULL, agent_id TEXT NOT NULL, PRIMARY KEY (call_id, agent_id))""",
    # Corrections and voids of telephony events (projections/kpi.py): held = 1 while the
    # original is unknown; telephony_effective keeps what a corrected event counts as.
    """CREATE TABLE IF NOT EXISTS telephony_corrections (
        event_id TEXT PRIMARY KEY, target TEXT NOT NULL, kind TEXT NOT NULL, agent_id TEXT NOT NULL,
        team_id TEXT NOT NULL, occurred_at TEXT NOT NULL,
        body TEXT, held INTEGER NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS telephony_corrections_by_target ON telephony_corrections (held, target)",
    "CREATE INDEX IF NOT EXISTS telephony_corrections_of ON telephony_corrections (target)",
    """CREATE TABLE IF NOT EXISTS telephony_effective (
        event_id TEXT PRIMARY KEY, payload TEXT NOT NULL)""",
    f"""CREATE TABLE IF NOT EXISTS kpi_sums (
        scope TEXT NOT NULL, scope_id TEXT NOT NULL, bucket TEXT NOT NULL, start TEXT NOT NULL,
        team_id TEXT NOT NULL, {", ".join(f"{c} BIGINT NOT NULL" for c in COUNTERS)},
        PRIMARY KEY (scope, scope_id, bucket, start))""",
    # Only leaderboards look agents up by team, and only in day buckets: a partial index
    # spares every interval write its upkeep.
    ("CREATE INDEX IF NOT EXISTS kpi_agent_days_by_team ON kpi_sums (team_id, start) "
     "WHERE scope = 'agent' AND bucket = 'day'"),
    """CREATE TABLE IF NOT EXISTS kpi_changes (
        agent_id TEXT PRIMARY KEY, changed_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS goal_progress_marks (
        goal_id TEXT NOT NULL, interval_start TEXT NOT NULL, PRIMARY KEY (goal_id, interval_start))""",
    """CREATE TABLE IF NOT EXISTS ingest_counters (
        name TEXT PRIMARY KEY, value BIGINT NOT NULL)""",
    # The same counts per reception day (UTC) and source, written with them (GET /v1/telephony/deliveries).
    """CREATE TABLE IF NOT EXISTS ingest_deliveries (
        day TEXT NOT NULL, source TEXT NOT NULL, received BIGINT NOT NULL, accepted BIGINT NOT NULL,
        duplicates BIGINT NOT NULL, dead_lettered BIGINT NOT NULL, PRIMARY KEY (day, source))""",
    # Tamper evidence (adapters/sql/sealer.py): seals of the event store, chain of the archive.
    """CREATE TABLE IF NOT EXISTS event_seals (
        notification_id BIGINT PRIMARY KEY, originator_id TEXT NOT NULL,
        originator_version INTEGER NOT NULL, digest TEXT NOT NULL, hash TEXT NOT NULL,
        prev_hash TEXT NOT NULL, chain TEXT NOT NULL, sealed_at TEXT NOT NULL)""",
    "CREATE UNIQUE INDEX IF NOT EXISTS event_seals_by_aggregate ON event_seals (originator_id, originator_version)",
    """CREATE TABLE IF NOT EXISTS archive_chain (
        position BIGINT PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, digest TEXT NOT NULL,
        chain TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS snapshot_seals (
        originator_id TEXT NOT NULL, originator_version INTEGER NOT NULL, seal TEXT NOT NULL,
        PRIMARY KEY (originator_id, originator_version))""",
    # What a consumer could not apply (projections/parking.py): a data fault's message, with
    # its reason, or a later version of an aggregate waiting behind a parked one.
    """CREATE TABLE IF NOT EXISTS parked_events (
        consumer TEXT NOT NULL, aggregate_id TEXT NOT NULL, version BIGINT NOT NULL,
        source TEXT NOT NULL, reason TEXT NOT NULL, digest TEXT NOT NULL, waits_behind BIGINT,
        parked_at TEXT NOT NULL,
        PRIMARY KEY (consumer, aggregate_id, version))""",
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
        backfill_call_agents(cur)
