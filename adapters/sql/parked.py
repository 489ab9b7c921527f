"""What consumers could not apply: the parked-messages table, its writes and its queries.

A data fault's message is kept with its reason, or a later version of an aggregate
waiting behind a parked one (projections/parking.py). Rows are keyed by (consumer,
aggregate id, version). This module is the only one that names the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from adapters.sql.database import Database
from adapters.sql.tables import TableSet
from aggregates.faults import REASON_LIMIT, digest, reason_of, safe_text

ID_LIMIT = 200
CHUNK = 500


@dataclass(frozen=True)
class ParkedTables(TableSet):
    @property
    def parked(self) -> str:
        return self.named("parked_events")

    def tables(self) -> tuple[str, ...]:
        return (self.parked,)

    def ddl(self) -> list[str]:
        return [
            f"""CREATE TABLE IF NOT EXISTS {self.parked} (
        consumer TEXT NOT NULL, aggregate_id TEXT NOT NULL, version BIGINT NOT NULL,
        source TEXT NOT NULL, reason TEXT NOT NULL, digest TEXT NOT NULL, waits_behind BIGINT,
        parked_at TEXT NOT NULL,
        PRIMARY KEY (consumer, aggregate_id, version))"""
        ]


LIVE = ParkedTables()


class ParkedView:
    """The Parking of projections/parking.py on a SQL table (live, or fresh for a rebuild)."""

    def __init__(self, tables: ParkedTables = LIVE) -> None:
        self.t = tables

    def park(
        self,
        cur: Any,
        consumer: str,
        aggregate_id: str,
        version: int,
        source: str,
        reason: str | BaseException,
        payload: bytes | None,
        waits_behind: int | None = None,
    ) -> None:
        """Records one unappliable message (or one waiting behind an earlier parked version),
        with why."""
        if not isinstance(reason, str):
            reason = reason_of(reason)
        cur.execute(
            f"INSERT INTO {self.t.parked} "
            "(consumer, aggregate_id, version, source, reason, digest, waits_behind, parked_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (consumer, aggregate_id, version) DO UPDATE SET "
            "source = excluded.source, reason = excluded.reason, digest = excluded.digest, "
            "waits_behind = excluded.waits_behind",
            (
                consumer,
                safe_text(aggregate_id, ID_LIMIT),
                version,
                safe_text(source, ID_LIMIT),
                safe_text(reason, REASON_LIMIT),
                digest(payload),
                waits_behind,
                datetime.now(UTC).isoformat(),
            ),
        )

    def blocked(self, cur: Any, consumers: Sequence[str], ids: Sequence[str]) -> dict[str, int]:
        """Per aggregate among `ids`: its earliest version parked by any of `consumers`."""
        found: dict[str, int] = {}
        marks = ",".join("?" * len(consumers))
        for start in range(0, len(ids), CHUNK):
            part = ids[start : start + CHUNK]
            cur.execute(
                f"SELECT aggregate_id, MIN(version) AS v FROM {self.t.parked} "
                f"WHERE consumer IN ({marks}) "
                f"AND aggregate_id IN ({','.join('?' * len(part))}) GROUP BY aggregate_id",
                (*consumers, *part),
            )
            found.update({row["aggregate_id"]: int(row["v"]) for row in cur.rows()})
        return found

    def rows(self, cur: Any) -> list[dict[str, Any]]:
        """Every parked message of the table, in (aggregate, version) order."""
        cur.execute(
            f"SELECT aggregate_id, version, source, reason, waits_behind FROM {self.t.parked} "
            "ORDER BY aggregate_id, version"
        )
        return list(cur.rows())

    def take_over(self, cur: Any, fresh: ParkedTables, consumer: str) -> None:
        """The consumer's parked messages become those of `fresh` (a rebuild's),
        in the caller's transaction."""
        cur.execute(f"DELETE FROM {self.t.parked} WHERE consumer = ?", (consumer,))
        cur.execute(
            f"INSERT INTO {self.t.parked} SELECT * FROM {fresh.parked} WHERE consumer = ?",
            (consumer,),
        )


class SqlParking:
    """The Parking port of the relay on the live table, one short transaction per parked message."""

    def __init__(self, db: Database, consumer: str) -> None:
        self.db = db
        self.consumer = consumer

    def park(
        self, aggregate_id: str, version: int, source: str, reason: str, payload: bytes | None
    ) -> None:
        with self.db.transaction() as cur:
            ParkedView().park(cur, self.consumer, aggregate_id, version, source, reason, payload)


def parked_counts(db: Database) -> dict[str, int]:
    """Parked messages per consumer."""
    rows = db.query(
        f"SELECT consumer, COUNT(*) AS n FROM {LIVE.parked} GROUP BY consumer ORDER BY consumer"
    )
    return {r["consumer"]: int(r["n"]) for r in rows}


def parked_list(db: Database, consumer: str | None, limit: int) -> list[dict[str, Any]]:
    """Parked messages, oldest first, optionally of one consumer."""
    where, params = ("WHERE consumer = ?", [consumer]) if consumer else ("", [])
    rows = db.query(
        "SELECT consumer, aggregate_id, version, source, reason, digest, waits_behind, parked_at "
        f"FROM {LIVE.parked} {where} ORDER BY parked_at, consumer, aggregate_id, version LIMIT ?",
        (*params, limit),
    )
    return [
        {
            **r,
            "version": int(r["version"]),
            "waits_behind": None if r["waits_behind"] is None else int(r["waits_behind"]),
        }
        for r in rows
    ]
