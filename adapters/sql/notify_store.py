"""The delivery component's tables: subscriptions as the stream last said, the team of each
aggregate, the delivery queue with its dead letters, and the overdue items already notified.
This module is the only one that names them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from adapters.sql.database import Database
from engine.notify.matching import Subscribed

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS notify_subscriptions (
        id TEXT PRIMARY KEY, scope TEXT NOT NULL, scope_id TEXT NOT NULL, kinds TEXT NOT NULL,
        url TEXT, email TEXT, generation INTEGER NOT NULL, active INTEGER NOT NULL,
        version INTEGER NOT NULL, since TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS notify_subjects (
        aggregate_id TEXT PRIMARY KEY, team_id TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS notify_deliveries (
        delivery_id TEXT PRIMARY KEY, subscription_id TEXT NOT NULL, event_key TEXT NOT NULL,
        kind TEXT NOT NULL, channel TEXT NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL,
        attempts INTEGER NOT NULL, next_at DOUBLE PRECISION NOT NULL, last_error TEXT,
        created_at DOUBLE PRECISION NOT NULL, sent_at DOUBLE PRECISION)""",
    "CREATE INDEX IF NOT EXISTS notify_deliveries_due ON notify_deliveries (status, next_at)",
    """CREATE INDEX IF NOT EXISTS notify_deliveries_by_subscription
        ON notify_deliveries (subscription_id, status, created_at)""",
    """CREATE TABLE IF NOT EXISTS notify_overdue_marks (
        item_key TEXT PRIMARY KEY, marked_at DOUBLE PRECISION NOT NULL)""",
)
PENDING, SENT, DEAD = "pending", "sent", "dead"
COLUMNS = (
    "delivery_id, subscription_id, event_key, kind, channel, body, status, attempts, next_at, "
    "last_error, created_at, sent_at"
)


@dataclass(frozen=True)
class Delivery:
    """One queued notification to one subscription over one channel."""

    delivery_id: str
    subscription_id: str
    event_key: str
    kind: str
    channel: str  # "webhook" or "email"
    body: str
    status: str
    attempts: int
    next_at: float
    last_error: str | None
    created_at: float
    sent_at: float | None

    def public(self) -> dict[str, Any]:
        """What the admin routes show (the body as JSON)."""
        shown = {name: getattr(self, name) for name in COLUMNS.split(", ")}
        shown["body"] = json.loads(self.body)
        return shown


def create_tables(db: Database) -> None:
    with db.transaction() as cur:
        for statement in SCHEMA:
            cur.execute(statement)


# --- what the consumer writes, inside its transaction -------------------------------------


def save_subscription(cur: Any, sub: dict[str, Any]) -> None:
    """The subscription as its latest event leaves it (older versions never overwrite)."""
    cur.execute(
        "INSERT INTO notify_subscriptions (id, scope, scope_id, kinds, url, email, generation, "
        "active, version, since) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET "
        "kinds = excluded.kinds, url = excluded.url, email = excluded.email, "
        "generation = excluded.generation, active = excluded.active, version = excluded.version "
        "WHERE notify_subscriptions.version < excluded.version",
        (
            sub["id"],
            sub["scope"],
            sub["scope_id"],
            json.dumps(sub["kinds"]),
            sub["url"],
            sub["email"],
            sub["generation"],
            1 if sub["active"] else 0,
            sub["version"],
            sub["since"],
        ),
    )


def subscription_row(cur: Any, subscription_id: str) -> dict[str, Any] | None:
    row = cur.execute(
        "SELECT id, scope, scope_id, kinds, url, email, generation, active, version, since "
        "FROM notify_subscriptions WHERE id = ?",
        (subscription_id,),
    ).one()
    if row is None:
        return None
    found = dict(row)
    found["kinds"] = json.loads(found["kinds"])
    found["active"] = bool(found["active"])
    return found


def active_subscriptions(cur: Any) -> list[Subscribed]:
    rows = cur.execute(
        "SELECT id, scope, scope_id, kinds, url, email, since FROM notify_subscriptions "
        "WHERE active = 1"
    ).rows()
    return [
        Subscribed(
            r["id"],
            r["scope"],
            r["scope_id"],
            tuple(json.loads(r["kinds"])),
            r["url"],
            r["email"],
            r["since"],
        )
        for r in rows
    ]


def remember_team(cur: Any, aggregate_id: str, team_id: str) -> None:
    cur.execute(
        "INSERT INTO notify_subjects (aggregate_id, team_id) VALUES (?, ?) "
        "ON CONFLICT (aggregate_id) DO UPDATE SET team_id = excluded.team_id",
        (aggregate_id, team_id),
    )


def team_of(cur: Any, aggregate_id: str) -> str | None:
    row = cur.execute(
        "SELECT team_id FROM notify_subjects WHERE aggregate_id = ?", (aggregate_id,)
    ).one()
    return None if row is None else str(row["team_id"])


def enqueue(cur: Any, deliveries: Sequence[tuple[str, str, str, str, str, str]], now: float) -> int:
    """Queues (delivery id, subscription, event key, kind, channel, body) rows; a delivery id
    already queued is left as it is (the idempotency key). Returns how many were new."""
    added = 0
    for delivery_id, subscription_id, event_key, kind, channel, body in deliveries:
        cur.execute(
            f"INSERT INTO notify_deliveries ({COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, NULL, ?, NULL) "
            "ON CONFLICT (delivery_id) DO NOTHING",
            (delivery_id, subscription_id, event_key, kind, channel, body, PENDING, now, now),
        )
        added += cur.rowcount
    return added


def mark_overdue(cur: Any, item_key: str, now: float) -> bool:
    """Remembers an overdue item; False when it was already notified."""
    cur.execute(
        "INSERT INTO notify_overdue_marks (item_key, marked_at) VALUES (?, ?) "
        "ON CONFLICT (item_key) DO NOTHING",
        (item_key, now),
    )
    return bool(cur.rowcount)


# --- what the sender and the admin routes use ----------------------------------------------


def _deliveries(rows: list[Any]) -> list[Delivery]:
    return [Delivery(**dict(r)) for r in rows]


class SqlDeliveries:
    """The delivery queue: due ones, outcomes, listings and replays."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def subscriptions(self) -> list[dict[str, Any]]:
        """Every subscription as the delivery component last applied it, by id."""
        with self.db.transaction() as cur:
            found = cur.execute("SELECT id FROM notify_subscriptions ORDER BY id").rows()
            ids = [r["id"] for r in found]
            return [row for i in ids if (row := subscription_row(cur, i)) is not None]

    def record_subscription(self, subscription: dict[str, Any]) -> None:
        """The subscription as a command just left it, so the matcher applies it to events on
        other partitions read before the subscription's own (the stream repeats it later)."""
        with self.db.transaction() as cur:
            save_subscription(cur, subscription)

    def due(self, now: float, limit: int) -> list[Delivery]:
        return _deliveries(
            self.db.query(
                f"SELECT {COLUMNS} FROM notify_deliveries WHERE status = ? AND next_at <= ? "
                "ORDER BY next_at, delivery_id LIMIT ?",
                (PENDING, now, limit),
            )
        )

    def next_due_at(self) -> float | None:
        rows = self.db.query(
            "SELECT MIN(next_at) AS at FROM notify_deliveries WHERE status = ?", (PENDING,)
        )
        at = rows[0]["at"] if rows else None
        return None if at is None else float(at)

    def sent(self, delivery_id: str, now: float) -> None:
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE notify_deliveries SET status = ?, attempts = attempts + 1, sent_at = ?, "
                "last_error = NULL WHERE delivery_id = ? AND status = ?",
                (SENT, now, delivery_id, PENDING),
            )

    def failed(self, delivery_id: str, error: str, retry_at: float | None) -> None:
        """One more failed attempt: retried at `retry_at`, or dead-lettered when None."""
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE notify_deliveries SET attempts = attempts + 1, last_error = ?, "
                "status = ?, next_at = ? WHERE delivery_id = ? AND status = ?",
                (
                    error[:1000],
                    PENDING if retry_at is not None else DEAD,
                    retry_at if retry_at is not None else 0.0,
                    delivery_id,
                    PENDING,
                ),
            )

    def listing(self, subscription_id: str, status: str | None, limit: int) -> list[Delivery]:
        where, params = "subscription_id = ?", [subscription_id]
        if status is not None:
            where += " AND status = ?"
            params.append(status)
        return _deliveries(
            self.db.query(
                f"SELECT {COLUMNS} FROM notify_deliveries WHERE {where} "
                "ORDER BY created_at, delivery_id LIMIT ?",
                (*params, limit),
            )
        )

    def replay(self, subscription_id: str, delivery_id: str | None, now: float) -> int:
        """Queues dead letters again (one, or all of the subscription's) with a fresh budget."""
        where, params = "subscription_id = ? AND status = ?", [subscription_id, DEAD]
        if delivery_id is not None:
            where += " AND delivery_id = ?"
            params.append(delivery_id)
        with self.db.transaction() as cur:
            cur.execute(
                f"UPDATE notify_deliveries SET status = ?, attempts = 0, next_at = ? WHERE {where}",
                (PENDING, now, *params),
            )
            return int(cur.rowcount)

    def target(self, subscription_id: str) -> dict[str, Any] | None:
        """Where the subscription's deliveries go (its URL, e-mail and secret generation)."""
        with self.db.transaction() as cur:
            return subscription_row(cur, subscription_id)

    def counts(self) -> dict[str, int]:
        rows = self.db.query("SELECT status, COUNT(*) AS n FROM notify_deliveries GROUP BY status")
        return {str(r["status"]): int(r["n"]) for r in rows}
