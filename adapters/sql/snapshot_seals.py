"""Snapshot seals in SQL: the table `snapshot_seals` beside the event store's snapshots."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from uuid import UUID

from adapters.sql.database import Database
from engine.snapshot_seals import SealRow


class SqlSnapshotSeals:
    """Keeps one seal per (aggregate, version) snapshot."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def put(self, rows: Sequence[SealRow]) -> None:
        """Stores the seals; a snapshot taken again at the same version replaces its seal."""
        with self.db.transaction() as cur:
            cur.executemany(
                "INSERT INTO snapshot_seals (originator_id, originator_version, seal) VALUES (?, ?, ?) "
                "ON CONFLICT (originator_id, originator_version) DO UPDATE SET seal = excluded.seal", rows)

    def seal_of(self, originator_id: str, version: int) -> str | None:
        rows = self.db.query("SELECT seal FROM snapshot_seals WHERE originator_id = ? AND originator_version = ?",
                             (originator_id, version))
        return str(rows[0]["seal"]) if rows else None


def unsealed_snapshots(db: Database, table: str) -> Iterator[tuple[UUID, int]]:
    """The (aggregate id, version) of every snapshot that has no seal."""
    seals = {(r["originator_id"], int(r["originator_version"]))
             for r in db.query("SELECT originator_id, originator_version FROM snapshot_seals")}
    for row in db.query(f"SELECT originator_id, originator_version FROM {table}"):
        uid, version = UUID(str(row["originator_id"])), int(row["originator_version"])
        if (str(uid), version) not in seals:
            yield uid, version
