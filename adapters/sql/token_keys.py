"""The ring of token-signing keys (engine/keyring.py), shared by every process of a deployment.

A row names a key and the salt it is derived with; the key itself is never stored.
"""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.sql.database import Database, Row
from engine.ports import SigningKeyRecord

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS token_signing_keys (
        kid TEXT PRIMARY KEY, salt TEXT NOT NULL, state TEXT NOT NULL,
        created_at TEXT NOT NULL, changed_at TEXT NOT NULL)""",
)
COLUMNS = "kid, salt, state, created_at, changed_at"


def create_tables(db: Database) -> None:
    with db.transaction() as cur:
        for statement in SCHEMA:
            cur.execute(statement)


class SqlSigningKeys:
    """The key ring in the read-model database (engine/ports.py `SigningKeys`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def ring(self) -> list[SigningKeyRecord]:
        rows = self.db.query(f"SELECT {COLUMNS} FROM token_signing_keys ORDER BY created_at, kid")
        return [record(row) for row in rows]

    def add_first(self, first: SigningKeyRecord) -> None:
        with self.db.transaction() as cur:
            cur.execute(
                f"INSERT INTO token_signing_keys ({COLUMNS}) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (kid) DO NOTHING",
                values(first),
            )

    def rotate(self, new: SigningKeyRecord) -> None:
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE token_signing_keys SET state = 'verify-only', changed_at = ?"
                " WHERE state = 'active'",
                (stamp(new.created_at),),
            )
            cur.execute(
                f"INSERT INTO token_signing_keys ({COLUMNS}) VALUES (?, ?, ?, ?, ?)", values(new)
            )

    def retire(self, kid: str, at: datetime) -> SigningKeyRecord | None:
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE token_signing_keys SET state = 'retired', changed_at = ?"
                " WHERE kid = ? AND state <> 'retired'",
                (stamp(at), kid),
            )
            row = cur.execute(
                f"SELECT {COLUMNS} FROM token_signing_keys WHERE kid = ?", (kid,)
            ).one()
        return None if row is None else record(row)


def values(r: SigningKeyRecord) -> tuple[str, str, str, str, str]:
    return (r.kid, r.salt, r.state, stamp(r.created_at), stamp(r.changed_at))


def record(row: Row) -> SigningKeyRecord:
    return SigningKeyRecord(
        kid=row["kid"],
        salt=row["salt"],
        state=row["state"],
        created_at=datetime.fromisoformat(row["created_at"]),
        changed_at=datetime.fromisoformat(row["changed_at"]),
    )


def stamp(moment: datetime) -> str:
    """ISO text that sorts as the moments do (UTC, always with microseconds)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
