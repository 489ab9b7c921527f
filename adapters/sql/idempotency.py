"""Idempotency keys: each (principal, key) pinned to one request and, once done, its answer.

A key is claimed before its command runs, with the request's digest, so a retry of the
same request is recognised even when the first attempt's answer was never recorded (a
crash or an outage in between); the command's derived aggregate ids (aggregates/ids.py)
then keep it from being applied twice. Rows are kept: a key is never reused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from adapters.sql.database import Database

TABLE = """CREATE TABLE IF NOT EXISTS idempotency_keys (
    principal TEXT NOT NULL, idempotency_key TEXT NOT NULL, request_digest TEXT NOT NULL,
    status INTEGER, headers TEXT, body TEXT, created_at TEXT NOT NULL, answered_at TEXT,
    PRIMARY KEY (principal, idempotency_key))"""


@dataclass(frozen=True)
class Answer:
    """The answer given to the first request under a key."""

    status: int
    headers: dict[str, str]
    body: str


@dataclass(frozen=True)
class Claim:
    """What a key says about a request: first of its kind, another request's, or answered."""

    fresh: bool
    conflict: bool
    answer: Answer | None


def create_table(db: Database) -> None:
    with db.transaction() as cur:
        cur.execute(TABLE)


def claim(db: Database, principal: str, key: str, digest: str) -> Claim:
    """Pins the key to this request unless it is pinned already; says which it was."""
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO idempotency_keys (principal, idempotency_key, request_digest, created_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (principal, idempotency_key) DO NOTHING",
            (principal, key, digest, now()),
        )
        fresh = cur.rowcount == 1
        row = cur.execute(
            "SELECT request_digest, status, headers, body FROM idempotency_keys"
            " WHERE principal = ? AND idempotency_key = ?",
            (principal, key),
        ).one()
    assert row is not None
    if row["request_digest"] != digest:
        return Claim(fresh=False, conflict=True, answer=None)
    if row["status"] is None:
        return Claim(fresh=fresh, conflict=False, answer=None)
    return Claim(
        fresh=False,
        conflict=False,
        answer=Answer(int(row["status"]), json.loads(row["headers"]), row["body"]),
    )


def record(db: Database, principal: str, key: str, answer: Answer) -> None:
    """Keeps the answer, which every later retry under the key receives."""
    with db.transaction() as cur:
        cur.execute(
            "UPDATE idempotency_keys SET status = ?, headers = ?, body = ?, answered_at = ?"
            " WHERE principal = ? AND idempotency_key = ?",
            (answer.status, json.dumps(answer.headers), answer.body, now(), principal, key),
        )


def release(db: Database, principal: str, key: str) -> None:
    """Frees a key whose request was refused (nothing applied), so it can be corrected."""
    with db.transaction() as cur:
        cur.execute(
            "DELETE FROM idempotency_keys WHERE principal = ? AND idempotency_key = ?"
            " AND status IS NULL",
            (principal, key),
        )


def now() -> str:
    return datetime.now(UTC).isoformat()
