"""Seals of the event store: the keyed chain over its notifications, and the seal of each snapshot.

The sealer (adapters/sql/sealer.py) writes and `perfledger verify` (adapters/sql/verify.py)
reads them through this module, the only one that names their tables.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from adapters.sql.database import Cursor, Database
from adapters.sql.tables import TableSet
from engine.snapshot_sealing import SealRow

CHUNK = 500


@dataclass(frozen=True)
class SealTables(TableSet):
    @property
    def events(self) -> str:
        return self.named("event_seals")

    @property
    def snapshots(self) -> str:
        return self.named("snapshot_seals")

    def tables(self) -> tuple[str, ...]:
        return (self.events, self.snapshots)

    def indexes(self) -> tuple[str, ...]:
        return (self.named("event_seals_by_aggregate"),)

    def ddl(self) -> list[str]:
        return [
            f"""CREATE TABLE IF NOT EXISTS {self.events} (
        notification_id BIGINT PRIMARY KEY, originator_id TEXT NOT NULL,
        originator_version INTEGER NOT NULL, digest TEXT NOT NULL, hash TEXT NOT NULL,
        prev_hash TEXT NOT NULL, chain TEXT NOT NULL, sealed_at TEXT NOT NULL)""",
            (
                f"CREATE UNIQUE INDEX IF NOT EXISTS {self.indexes()[0]} ON {self.events} "
                "(originator_id, originator_version)"
            ),
            f"""CREATE TABLE IF NOT EXISTS {self.snapshots} (
        originator_id TEXT NOT NULL, originator_version INTEGER NOT NULL, seal TEXT NOT NULL,
        PRIMARY KEY (originator_id, originator_version))""",
        ]


LIVE = SealTables()
EVENTS = LIVE.events
# Paged by verify: (after, limit) -> the next seals in chain order.
SEALS_AFTER = f"SELECT * FROM {EVENTS} WHERE notification_id > ? ORDER BY notification_id LIMIT ?"


def add_seals(cur: Cursor, rows: Sequence[tuple[Any, ...]]) -> None:
    """Rows of (notification_id, originator_id, originator_version,
    digest, hash, prev_hash, chain, sealed_at)."""
    cur.executemany(
        f"INSERT INTO {EVENTS} (notification_id, originator_id, originator_version, digest, hash, "
        "prev_hash, chain, sealed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def head_rows(db: Database, cur: Cursor | None) -> list[dict[str, Any]]:
    """The last seal (notification_id, chain), in or out of a transaction."""
    text = f"SELECT notification_id, chain FROM {EVENTS} ORDER BY notification_id DESC LIMIT 1"
    return db.query(text) if cur is None else cur.execute(text).rows()


def chain_at(db: Database, position: int) -> str | None:
    rows = db.query(f"SELECT chain FROM {EVENTS} WHERE notification_id = ?", (position,))
    return str(rows[0]["chain"]) if rows else None


def aggregate_heads(cur: Cursor, ids: Sequence[str]) -> dict[str, str]:
    """The hash of each aggregate's latest sealed event."""
    found: dict[str, str] = {}
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        cur.execute(
            f"SELECT s.originator_id, s.hash FROM {EVENTS} s JOIN (SELECT originator_id, "
            f"MAX(originator_version) AS v FROM {EVENTS} "
            f"WHERE originator_id IN ({','.join('?' * len(part))}) "
            "GROUP BY originator_id) m "
            "ON s.originator_id = m.originator_id AND s.originator_version = m.v",
            part,
        )
        found.update({r["originator_id"]: r["hash"] for r in cur.rows()})
    return found


class SqlSnapshotSeals:
    """Keeps one seal per (aggregate, version) snapshot."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def put(self, rows: Sequence[SealRow]) -> None:
        """Stores the seals; a snapshot taken again at the same version replaces its seal."""
        with self.db.transaction() as cur:
            cur.executemany(
                f"INSERT INTO {LIVE.snapshots} (originator_id, originator_version, seal) "
                "VALUES (?, ?, ?) ON CONFLICT (originator_id, originator_version) "
                "DO UPDATE SET seal = excluded.seal",
                rows,
            )

    def seal_of(self, originator_id: str, version: int) -> str | None:
        rows = self.db.query(
            f"SELECT seal FROM {LIVE.snapshots} WHERE originator_id = ? AND originator_version = ?",
            (originator_id, version),
        )
        return str(rows[0]["seal"]) if rows else None


def snapshot_seals_by_key(db: Database) -> dict[tuple[str, int], str]:
    """Every snapshot seal by (aggregate id, version)."""
    return {
        (r["originator_id"], int(r["originator_version"])): r["seal"]
        for r in db.query(f"SELECT originator_id, originator_version, seal FROM {LIVE.snapshots}")
    }


def unsealed_snapshots(db: Database, table: str) -> Iterator[tuple[UUID, int]]:
    """The (aggregate id, version) of every snapshot that has no seal."""
    seals = set(snapshot_seals_by_key(db))
    for row in db.query(f"SELECT originator_id, originator_version FROM {table}"):
        uid, version = UUID(str(row["originator_id"])), int(row["originator_version"])
        if (str(uid), version) not in seals:
            yield uid, version
