"""The HTTP telephony inbox in SQL: accepted events kept until the archive holds them.

The logic (when to publish, when to publish again) is adapters/telephony/inbox.py; this
module holds the table's schema, writes and reads, and is the only one that names it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adapters.sql import archive
from adapters.sql.database import Cursor, Database

INBOX = "telephony_inbox"
CHUNK = 500
SCHEMA = (
    # HTTP telephony batches, durable before they are acknowledged (adapters/telephony/inbox.py).
    f"""CREATE TABLE IF NOT EXISTS {INBOX} (
        event_id TEXT PRIMARY KEY, msg_key TEXT NOT NULL, payload TEXT NOT NULL, life TEXT,
        accepted_at TEXT NOT NULL)""",
)


def add(cur: Cursor, rows: Sequence[tuple[str, str, str, str | None, str]]) -> None:
    """Keeps (event_id, key, payload, life, accepted_at) rows;
    an event already kept stays as it is."""
    cur.executemany(
        f"INSERT INTO {INBOX} (event_id, msg_key, payload, life, accepted_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
        rows,
    )


def is_empty(db: Database) -> bool:
    return not db.query(f"SELECT event_id FROM {INBOX} LIMIT 1")


def prune_archived(db: Database) -> None:
    """Forgets the events the archive holds."""
    with db.transaction() as cur:
        cur.execute(
            f"DELETE FROM {INBOX} WHERE EXISTS "
            f"(SELECT 1 FROM {archive.ARCHIVE} a WHERE a.event_id = {INBOX}.event_id)"
        )


def not_in_life(db: Database, life: str, limit: int) -> list[dict[str, Any]]:
    """The oldest kept events not published into `life` (event_id, msg_key, payload)."""
    return db.query(
        f"SELECT event_id, msg_key, payload FROM {INBOX} WHERE life IS NULL OR life <> ? "
        "ORDER BY accepted_at LIMIT ?",
        (life, limit),
    )


def mark(
    db: Database, event_ids: Sequence[str], life: str | None, only_life: str | None = None
) -> None:
    """Records the life these events were published into
    (only where they are in `only_life`, if given)."""
    condition = "" if only_life is None else " AND life = ?"
    with db.transaction() as cur:
        for start in range(0, len(event_ids), CHUNK):
            part = event_ids[start : start + CHUNK]
            cur.execute(
                f"UPDATE {INBOX} SET life = ? WHERE event_id IN ({','.join('?' * len(part))})"
                f"{condition}",
                (life, *part, *(() if only_life is None else (only_life,))),
            )


def pending(db: Database) -> int:
    """How many accepted events the archive does not hold yet (as far as pruned)."""
    return int(db.query(f"SELECT COUNT(*) AS n FROM {INBOX}")[0]["n"])
