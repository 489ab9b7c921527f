"""The telephony archive (every accepted telephony event with its original bytes) and its chain.

The archive is a source of truth: the KPI model is rebuilt from it, and each row is
linked into a keyed chain for tamper evidence (adapters/sql/sealer.py). This module is
the only one that names those two tables.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from adapters.sql.database import Database
from adapters.sql.tables import TableSet

Run = Callable[[str, Sequence[Any]], list[dict[str, Any]]]
ArchiveKey = tuple[int, str]  # (seq, event_id): the archive's reading order
CHUNK = 500


@dataclass(frozen=True)
class ArchiveTables(TableSet):
    @property
    def archive(self) -> str:
        return self.named("telephony_archive")

    @property
    def chain(self) -> str:
        return self.named("archive_chain")

    def tables(self) -> tuple[str, ...]:
        return (self.archive, self.chain)

    def ddl(self) -> list[str]:
        return [
            f"""CREATE TABLE IF NOT EXISTS {self.archive} (
        event_id TEXT PRIMARY KEY, seq BIGINT NOT NULL, type TEXT NOT NULL, agent_id TEXT NOT NULL,
        team_id TEXT NOT NULL, occurred_at TEXT NOT NULL, recorded_at TEXT NOT NULL,
        payload TEXT NOT NULL)""",
            f"""CREATE TABLE IF NOT EXISTS {self.chain} (
        position BIGINT PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, digest TEXT NOT NULL,
        chain TEXT NOT NULL)""",
        ]


LIVE = ArchiveTables()
ARCHIVE = LIVE.archive
CHAIN = LIVE.chain


def lock(cur: Any) -> None:
    """Holds off other archive writers until the caller's transaction ends (SQLite: its write lock does)."""
    if cur.db.is_postgres:
        cur.execute(f"LOCK TABLE {ARCHIVE} IN SHARE ROW EXCLUSIVE MODE")


def insert(cur: Any, rows: Sequence[tuple[Any, ...]]) -> None:
    """Archives rows of (event_id, seq, type, agent_id, team_id, occurred_at, recorded_at, payload)."""
    cur.executemany(
        f"INSERT INTO {ARCHIVE} (event_id, seq, type, agent_id, team_id, occurred_at, recorded_at, payload) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def _parts(ids: Sequence[str]) -> list[Sequence[str]]:
    ordered = sorted(set(ids))
    return [ordered[start:start + CHUNK] for start in range(0, len(ordered), CHUNK)]


def archived_ids(run: Run, ids: Sequence[str]) -> set[str]:
    """Which of these event ids the archive already holds (`run` executes a query, in or out of a transaction)."""
    found: set[str] = set()
    for part in _parts(ids):
        rows = run(f"SELECT event_id FROM {ARCHIVE} WHERE event_id IN ({','.join('?' * len(part))})", part)
        found.update(row["event_id"] for row in rows)
    return found


def archived_payloads(run: Run, ids: Sequence[str]) -> dict[str, str]:
    """The archived original payloads of those of these event ids the archive holds."""
    found: dict[str, str] = {}
    for part in _parts(ids):
        rows = run(f"SELECT event_id, payload FROM {ARCHIVE} WHERE event_id IN ({','.join('?' * len(part))})",
                   part)
        found.update((row["event_id"], row["payload"]) for row in rows)
    return found


def batch_after(cur: Any, after: ArchiveKey, limit: int) -> tuple[list[bytes], ArchiveKey]:
    """The next original payloads in archive order after `after`, and the key of the last one."""
    cur.execute(
        f"SELECT seq, event_id, payload FROM {ARCHIVE} WHERE seq > ? OR (seq = ? AND event_id > ?) "
        "ORDER BY seq, event_id LIMIT ?",
        (after[0], after[0], after[1], limit),
    )
    rows = cur.rows()
    if not rows:
        return [], after
    return [r["payload"].encode() for r in rows], (int(rows[-1]["seq"]), rows[-1]["event_id"])


def count(db: Database) -> int:
    """How many telephony events the archive holds."""
    return int(db.query(f"SELECT COUNT(*) AS n FROM {ARCHIVE}")[0]["n"])
