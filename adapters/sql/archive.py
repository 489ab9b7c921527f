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
    """Holds off other archive writers until the caller's transaction ends
    (SQLite: its write lock does)."""
    if cur.db.is_postgres:
        cur.execute(f"LOCK TABLE {ARCHIVE} IN SHARE ROW EXCLUSIVE MODE")


def insert(cur: Any, rows: Sequence[tuple[Any, ...]]) -> None:
    """Archives rows of
    (event_id, seq, type, agent_id, team_id, occurred_at, recorded_at, payload)."""
    cur.executemany(
        f"INSERT INTO {ARCHIVE} (event_id, seq, type, agent_id, team_id, occurred_at, recorded_at, "
        "payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def _parts(ids: Sequence[str]) -> list[Sequence[str]]:
    ordered = sorted(set(ids))
    return [ordered[start : start + CHUNK] for start in range(0, len(ordered), CHUNK)]


def archived_ids(run: Run, ids: Sequence[str]) -> set[str]:
    """Which of these event ids the archive already holds
    (`run` executes a query, in or out of a transaction)."""
    found: set[str] = set()
    for part in _parts(ids):
        rows = run(
            f"SELECT event_id FROM {ARCHIVE} WHERE event_id IN ({','.join('?' * len(part))})", part
        )
        found.update(row["event_id"] for row in rows)
    return found


def archived_payloads(run: Run, ids: Sequence[str]) -> dict[str, str]:
    """The archived original payloads of those of these event ids the archive holds."""
    found: dict[str, str] = {}
    for part in _parts(ids):
        rows = run(
            f"SELECT event_id, payload FROM {ARCHIVE} "
            f"WHERE event_id IN ({','.join('?' * len(part))})",
            part,
        )
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


# --- the keyed chain over the archive (adapters/sql/sealer.py writes it, verify reads it) --


def chain_head(cur: Any) -> dict[str, Any] | None:
    """The last link (position, chain), or None before the first."""
    cur.execute(f"SELECT position, chain FROM {CHAIN} ORDER BY position DESC LIMIT 1")
    found: dict[str, Any] | None = cur.one()
    return found


def add_links(cur: Any, links: Sequence[tuple[Any, ...]]) -> None:
    """Links of (position, event_id, digest, chain)."""
    cur.executemany(
        f"INSERT INTO {CHAIN} (position, event_id, digest, chain) VALUES (?, ?, ?, ?)", links
    )


def unchained(cur: Any, columns: Sequence[str], limit: int) -> list[dict[str, Any]]:
    """Archived rows without a link yet, in archive order, with these columns."""
    cur.execute(
        f"SELECT {', '.join('a.' + c for c in columns)} FROM {ARCHIVE} a "
        f"LEFT JOIN {CHAIN} c ON c.event_id = a.event_id WHERE c.event_id IS NULL "
        "ORDER BY a.seq, a.event_id LIMIT ?",
        (limit,),
    )
    return list(cur.rows())


def unchained_ids(db: Database, limit: int) -> list[dict[str, Any]]:
    """Ids of archived rows that have no link, in archive order (for verify)."""
    return db.query(
        f"SELECT a.event_id FROM {ARCHIVE} a LEFT JOIN {CHAIN} c "
        "ON c.event_id = a.event_id WHERE c.event_id IS NULL ORDER BY a.seq LIMIT ?",
        (limit,),
    )


def chain_at(db: Database, position: int) -> str | None:
    rows = db.query(f"SELECT chain FROM {CHAIN} WHERE position = ?", (position,))
    return str(rows[0]["chain"]) if rows else None


def chain_head_row(db: Database) -> dict[str, Any] | None:
    rows = db.query(f"SELECT position, chain FROM {CHAIN} ORDER BY position DESC LIMIT 1")
    return rows[0] if rows else None


def chain_length(db: Database) -> int:
    return int(db.query(f"SELECT COALESCE(MAX(position), 0) AS n FROM {CHAIN}")[0]["n"])


def links_after_text(columns: Sequence[str]) -> str:
    """Paged by verify: (after, limit) -> the next links with the archived rows they chain
    (or NULLs)."""
    selected = ", ".join(f"a.{c}" for c in columns)
    return (
        f"SELECT c.position, c.event_id AS linked_id, c.digest, c.chain, {selected} "
        f"FROM {CHAIN} c LEFT JOIN {ARCHIVE} a ON a.event_id = c.event_id "
        "WHERE c.position > ? ORDER BY c.position LIMIT ?"
    )


def recorded_events(
    db: Database, column: str, scope_id: str, known_at: str
) -> list[dict[str, Any]]:
    """Archived rows (event_id, recorded_at, payload)
    of an agent or team recorded up to `known_at`."""
    return db.query(
        f"SELECT event_id, recorded_at, payload FROM {ARCHIVE} WHERE {column} = ? "
        "AND recorded_at <= ? ORDER BY seq, event_id",
        (scope_id, known_at),
    )


def archived_row(db: Database, event_id: str) -> list[dict[str, Any]]:
    """The archived row (event_id, type, recorded_at, payload) of one event, if any."""
    return db.query(
        f"SELECT event_id, type, recorded_at, payload FROM {ARCHIVE} WHERE event_id = ?",
        (event_id,),
    )
