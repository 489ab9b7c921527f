"""Telephony ingestion's accounting: totals since the start,
and counts per reception day and source.

Written in the ingest transaction (adapters/telephony/ingestor.py, the HTTP door) and read by
/metrics, GET /v1/telephony/deliveries and the alert evaluator. The only module that names
their tables.
"""

from __future__ import annotations

from typing import Any

from adapters.sql.database import Cursor, Database

COUNTER_NAMES = ("received", "accepted", "duplicates", "dead_lettered")
TOTALS = "ingest_counters"
PER_DAY = "ingest_deliveries"
SCHEMA = (
    f"""CREATE TABLE IF NOT EXISTS {TOTALS} (
        name TEXT PRIMARY KEY, value BIGINT NOT NULL)""",
    # The same counts per reception day (UTC) and source, written with them
    # (GET /v1/telephony/deliveries).
    f"""CREATE TABLE IF NOT EXISTS {PER_DAY} (
        day TEXT NOT NULL, source TEXT NOT NULL, received BIGINT NOT NULL, accepted BIGINT NOT NULL,
        duplicates BIGINT NOT NULL, dead_lettered BIGINT NOT NULL, PRIMARY KEY (day, source))""",
)


def add_totals(cur: Cursor, changes: dict[str, int]) -> None:
    """Adds to the accounting totals."""
    cur.executemany(
        f"INSERT INTO {TOTALS} (name, value) VALUES (?, ?) "
        f"ON CONFLICT (name) DO UPDATE SET value = {TOTALS}.value + excluded.value",
        [(name, amount) for name, amount in changes.items() if amount],
    )


def add_deliveries(cur: Cursor, tally: dict[tuple[str, str], list[int]]) -> None:
    """Adds counts per (reception day, source), in COUNTER_NAMES order."""
    cur.executemany(
        f"INSERT INTO {PER_DAY} (day, source, received, accepted, duplicates, dead_lettered) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (day, source) DO UPDATE SET "
        + ", ".join(f"{name} = {PER_DAY}.{name} + excluded.{name}" for name in COUNTER_NAMES),
        [(day, source, *counts) for (day, source), counts in sorted(tally.items()) if any(counts)],
    )


def counter_totals(db: Database) -> dict[str, int]:
    """The accounting totals by name (received, accepted, duplicates, dead_lettered)."""
    return {r["name"]: int(r["value"]) for r in db.query(f"SELECT name, value FROM {TOTALS}")}


def accepted_total(db: Database) -> int:
    rows = db.query(f"SELECT value FROM {TOTALS} WHERE name = 'accepted'")
    return int(rows[0]["value"]) if rows else 0


def deliveries(db: Database, day: str) -> dict[str, Any]:
    """What reached telephony ingestion on one UTC day, per source ("http", "kafka:<topic>"),
    and in total."""
    rows = db.query(
        f"SELECT source, {', '.join(COUNTER_NAMES)} FROM {PER_DAY} WHERE day = ? ORDER BY source",
        (day,),
    )
    sources = [
        {"source": r["source"], **{name: int(r[name]) for name in COUNTER_NAMES}} for r in rows
    ]
    total = {name: sum(s[name] for s in sources) for name in COUNTER_NAMES}
    return {"day": day, "sources": sources, "total": total}
