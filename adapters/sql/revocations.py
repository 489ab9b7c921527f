"""Revoked tokens and subjects (engine/revocation.py), shared by every process of a deployment."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.sql.database import Database, Row
from engine.ports import Revocation

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS token_revocations (
        kind TEXT NOT NULL, value TEXT NOT NULL, issued_until BIGINT NOT NULL,
        revoked_at TEXT NOT NULL, revoked_by TEXT NOT NULL, reason TEXT NOT NULL,
        PRIMARY KEY (kind, value))""",
)
COLUMNS = "kind, value, issued_until, revoked_at, revoked_by, reason"


def create_tables(db: Database) -> None:
    with db.transaction() as cur:
        for statement in SCHEMA:
            cur.execute(statement)


class SqlRevocations:
    """The revocations in the read-model database (engine/ports.py `Revocations`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def revoke(self, revocation: Revocation) -> Revocation:
        r = revocation
        with self.db.transaction() as cur:
            # A token keeps its first revocation; a subject's moves to the latest second revoked.
            cur.execute(
                f"INSERT INTO token_revocations ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (kind, value) DO UPDATE SET issued_until = excluded.issued_until,"
                " revoked_at = excluded.revoked_at, revoked_by = excluded.revoked_by,"
                " reason = excluded.reason"
                " WHERE token_revocations.kind = 'subject'"
                " AND excluded.issued_until > token_revocations.issued_until",
                (r.kind, r.value, r.issued_until, stamp(r.revoked_at), r.revoked_by, r.reason),
            )
            row = cur.execute(
                f"SELECT {COLUMNS} FROM token_revocations WHERE kind = ? AND value = ?",
                (r.kind, r.value),
            ).one()
        assert row is not None
        return revocation_of(row)

    def all(self) -> list[Revocation]:
        rows = self.db.query(f"SELECT {COLUMNS} FROM token_revocations ORDER BY revoked_at, value")
        return [revocation_of(row) for row in rows]

    def prune(self, revoked_before: datetime) -> int:
        with self.db.transaction() as cur:
            cur.execute(
                "DELETE FROM token_revocations WHERE kind = 'token' AND revoked_at < ?",
                (stamp(revoked_before),),
            )
            return cur.rowcount


def revocation_of(row: Row) -> Revocation:
    return Revocation(
        kind=row["kind"],
        value=row["value"],
        issued_until=int(row["issued_until"]),
        revoked_at=datetime.fromisoformat(row["revoked_at"]),
        revoked_by=row["revoked_by"],
        reason=row["reason"],
    )


def stamp(moment: datetime) -> str:
    """ISO text that sorts as the moments do (UTC, always with microseconds)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
