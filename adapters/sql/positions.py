"""Durable positions: the relay's place in the event log, consumers' Kafka offsets,
goal-progress claims."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from adapters.sql.database import Cursor, Database

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS consumer_offsets (
        consumer TEXT NOT NULL, topic TEXT NOT NULL, partition_id INTEGER NOT NULL,
        life TEXT NOT NULL, next_offset BIGINT NOT NULL, highwater BIGINT NOT NULL,
        PRIMARY KEY (consumer, topic, partition_id))""",
    """CREATE TABLE IF NOT EXISTS goal_progress_marks (
        goal_id TEXT NOT NULL, interval_start TEXT NOT NULL, """
    """PRIMARY KEY (goal_id, interval_start))""",
    """CREATE TABLE IF NOT EXISTS relay_position (
        name TEXT PRIMARY KEY, life TEXT NOT NULL, position BIGINT NOT NULL, """
    """updated_at TEXT NOT NULL)""",
)


@dataclass(frozen=True)
class Position:
    life: str
    value: int


def load_relay_position(db: Database, name: str) -> Position | None:
    rows = db.query("SELECT life, position FROM relay_position WHERE name = ?", (name,))
    return Position(rows[0]["life"], int(rows[0]["position"])) if rows else None


def save_relay_position(db: Database, name: str, position: Position) -> None:
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO relay_position (name, life, position, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET life = excluded.life, position = excluded.position, "
            "updated_at = excluded.updated_at",
            (name, position.life, position.value, datetime.now(UTC).isoformat()),
        )


def load_offsets(db: Database, consumer: str) -> dict[tuple[str, int], Position]:
    rows = db.query(
        "SELECT topic, partition_id, life, next_offset FROM consumer_offsets WHERE consumer = ?",
        (consumer,),
    )
    return {
        (r["topic"], int(r["partition_id"])): Position(r["life"], int(r["next_offset"]))
        for r in rows
    }


def save_offsets(
    cur: Cursor, consumer: str, life: str, offsets: dict[tuple[str, int], tuple[int, int]]
) -> None:
    """Stores next offset and highwater per partition, inside the caller's transaction."""
    cur.executemany(
        "INSERT INTO consumer_offsets "
        "(consumer, topic, partition_id, life, next_offset, highwater) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (consumer, topic, partition_id) DO UPDATE SET "
        "life = excluded.life, next_offset = excluded.next_offset, highwater = excluded.highwater",
        [(consumer, t, p, life, nxt, hw) for (t, p), (nxt, hw) in offsets.items()],
    )


def consumer_lag(db: Database) -> dict[str, int]:
    """Per consumer: records the broker holds that the consumer has not applied yet."""
    rows = db.query(
        "SELECT consumer, "
        "SUM(CASE WHEN highwater > next_offset THEN highwater - next_offset ELSE 0 END) "
        "AS lag FROM consumer_offsets GROUP BY consumer"
    )
    return {r["consumer"]: int(r["lag"] or 0) for r in rows}


class SqlRelayPositions:
    """The relay's durable position, one row per relay name."""

    def __init__(self, db: Database, name: str = "events") -> None:
        self.db = db
        self.name = name

    def load(self) -> tuple[str, int] | None:
        found = load_relay_position(self.db, self.name)
        return (found.life, found.value) if found else None

    def save(self, life: str, position: int) -> None:
        save_relay_position(self.db, self.name, Position(life, position))


def partition_lags(db: Database) -> list[dict[str, object]]:
    """Per consumer and partition: the next offset to apply, the broker's highwater, and the gap."""
    rows = db.query(
        "SELECT consumer, topic, partition_id, next_offset, highwater FROM consumer_offsets "
        "ORDER BY consumer, topic, partition_id"
    )
    return [
        {
            "consumer": r["consumer"],
            "topic": r["topic"],
            "partition": int(r["partition_id"]),
            "next_offset": int(r["next_offset"]),
            "highwater": int(r["highwater"]),
            "lag": max(int(r["highwater"]) - int(r["next_offset"]), 0),
        }
        for r in rows
    ]


def claim_interval(db: Database, goal_id: str, interval_start: str) -> bool:
    """True once per goal and interval: the right to record progress in it."""
    with db.transaction() as cur:
        cur.execute(
            "SELECT 1 AS x FROM goal_progress_marks WHERE goal_id = ? AND interval_start = ?",
            (goal_id, interval_start),
        )
        if cur.rows():
            return False
        cur.execute(
            "INSERT INTO goal_progress_marks (goal_id, interval_start) VALUES (?, ?)",
            (goal_id, interval_start),
        )
        return True
