"""The documents and event-trail read models: their tables, their writes and their queries.

Documents hold each aggregate's current state as JSON (goals, check-ins, reviews,
templates, alerts); the trail holds every event of every aggregate, chained per aggregate
by hash (projections/history_rows.py). This module is the only one that names their tables.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from adapters.sql import kpi_view
from adapters.sql.database import Database
from adapters.sql.tables import TableSet

Doc = dict[str, Any]
CHUNK = 500


@dataclass(frozen=True)
class DocTables(TableSet):
    """The documents table and the event-trail table."""

    @property
    def docs(self) -> str:
        return self.named("documents")

    @property
    def trail(self) -> str:
        return self.named("history")

    def tables(self) -> tuple[str, ...]:
        return (self.docs, self.trail)

    def indexes(self) -> tuple[str, ...]:
        return tuple(
            self.named(f"documents_{suffix}")
            for suffix in ("by_agent", "by_team", "by_team_id", "by_agent_id", "by_status_id")
        )

    def ddl(self) -> list[str]:
        d, by_agent, by_team, by_team_id, by_agent_id, by_status_id = (self.docs, *self.indexes())
        return [
            f"""CREATE TABLE IF NOT EXISTS {d} (
        kind TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,
        agent_id TEXT, team_id TEXT, status TEXT, doc TEXT NOT NULL, updated_at TEXT NOT NULL,
        PRIMARY KEY (kind, id))""",
            f"CREATE INDEX IF NOT EXISTS {by_agent} ON {d} (kind, agent_id, status)",
            f"CREATE INDEX IF NOT EXISTS {by_team} ON {d} (kind, team_id, status)",
            # The dashboard's lists (goals, check-ins, reviews, alerts by team, agent or
            # status) page by id: with id in the index they read one page of rows, however
            # long the trail grows.
            f"CREATE INDEX IF NOT EXISTS {by_team_id} ON {d} (kind, team_id, id)",
            f"CREATE INDEX IF NOT EXISTS {by_agent_id} ON {d} (kind, agent_id, id)",
            f"CREATE INDEX IF NOT EXISTS {by_status_id} ON {d} (kind, status, id)",
            f"""CREATE TABLE IF NOT EXISTS {self.trail} (
        aggregate_id TEXT NOT NULL, version INTEGER NOT NULL, type TEXT NOT NULL,
        at TEXT NOT NULL, actor TEXT, data TEXT NOT NULL, notification_id BIGINT NOT NULL,
        hash TEXT NOT NULL, prev_hash TEXT NOT NULL,
        PRIMARY KEY (aggregate_id, version))""",
        ]


LIVE = DocTables()


def chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


class DocView:
    """The EventModels of projections/store.py on SQL tables (live, or fresh for a rebuild)."""

    def __init__(self, tables: DocTables = LIVE) -> None:
        self.t = tables

    def load_docs(self, cur: Any, ids: Sequence[str]) -> dict[str, tuple[Doc | None, int]]:
        found: dict[str, tuple[Doc | None, int]] = {}
        for part in chunks(ids):
            marks = ",".join("?" * len(part))
            cur.execute(f"SELECT id, version, doc FROM {self.t.docs} WHERE id IN ({marks})", part)
            for row in cur.rows():
                found[row["id"]] = (json.loads(row["doc"]), int(row["version"]))
        return found

    def load_heads(self, cur: Any, ids: Sequence[str]) -> dict[str, tuple[int, str]]:
        found: dict[str, tuple[int, str]] = {}
        trail = self.t.trail
        for part in chunks(ids):
            marks = ",".join("?" * len(part))
            cur.execute(
                f"SELECT h.aggregate_id, h.version, h.hash FROM {trail} h JOIN ("
                f"SELECT aggregate_id, MAX(version) AS v FROM {trail} "
                f"WHERE aggregate_id IN ({marks}) "
                f"GROUP BY aggregate_id) m ON h.aggregate_id = m.aggregate_id AND h.version = m.v",
                part,
            )
            for row in cur.rows():
                found[row["aggregate_id"]] = (int(row["version"]), row["hash"])
        return found

    def write_docs(self, cur: Any, changed: dict[str, tuple[str, Doc]]) -> None:
        cur.executemany(
            f"INSERT INTO {self.t.docs} "
            "(kind, id, version, agent_id, team_id, status, doc, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET "
            "version = excluded.version, agent_id = excluded.agent_id, team_id = excluded.team_id, "
            "status = excluded.status, doc = excluded.doc, updated_at = excluded.updated_at",
            [
                (
                    kind,
                    doc_id,
                    doc["version"],
                    doc.get("agent_id"),
                    doc.get("team_id"),
                    doc.get("status"),
                    json.dumps(doc, sort_keys=True),
                    doc["updated_at"],
                )
                for doc_id, (kind, doc) in changed.items()
            ],
        )

    def write_trail(self, cur: Any, entries: list[dict[str, Any]]) -> None:
        cur.executemany(
            f"INSERT INTO {self.t.trail} (aggregate_id, version, type, at, actor, data, "
            "notification_id, hash, prev_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    e["aggregate_id"],
                    e["version"],
                    e["type"],
                    e["at"],
                    e["actor"],
                    json.dumps(e["data"], sort_keys=True),
                    e["notification_id"],
                    e["hash"],
                    e["prev_hash"],
                )
                for e in entries
            ],
        )


# --- reads for the API, the workers and exports (live tables) ----------------------------


def get_document(db: Database, kind: str, doc_id: str) -> dict[str, Any] | None:
    rows = db.query(f"SELECT doc FROM {LIVE.docs} WHERE kind = ? AND id = ?", (kind, doc_id))
    return json.loads(rows[0]["doc"]) if rows else None


def find_document(db: Database, doc_id: str) -> tuple[str, dict[str, Any]] | None:
    """Any aggregate's document by id, with its kind."""
    rows = db.query(f"SELECT kind, doc FROM {LIVE.docs} WHERE id = ?", (doc_id,))
    return (rows[0]["kind"], json.loads(rows[0]["doc"])) if rows else None


def list_documents(
    db: Database,
    kind: str,
    *,
    filters: dict[str, str | None],
    teams: tuple[str, ...] | None,
    after: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Documents of a kind, filtered, ordered by id, from the cursor `after` on."""
    clauses, params = ["kind = ?"], [kind]
    for column, value in filters.items():
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if teams is not None:
        if not teams:
            return []
        clauses.append(f"team_id IN ({','.join('?' * len(teams))})")
        params.extend(teams)
    if after:
        clauses.append("id > ?")
        params.append(after)
    rows = db.query(
        f"SELECT doc FROM {LIVE.docs} WHERE {' AND '.join(clauses)} ORDER BY id LIMIT ?",
        (*params, limit),
    )
    return [json.loads(r["doc"]) for r in rows]


def event_trail(db: Database, aggregate_id: str) -> list[dict[str, Any]]:
    """An aggregate's events as the trail model holds them, oldest first."""
    rows = db.query(
        f"SELECT version, type, at, actor, data, hash, prev_hash FROM {LIVE.trail} "
        "WHERE aggregate_id = ? ORDER BY version",
        (aggregate_id,),
    )
    return [
        {
            "sequence": r["version"],
            "type": r["type"],
            "at": r["at"],
            "actor": r["actor"],
            "data": json.loads(r["data"]),
            "hash": r["hash"],
            "prev_hash": r["prev_hash"],
        }
        for r in rows
    ]


def documents_of(db: Database, kind: str, **where: str) -> list[dict[str, Any]]:
    """Every document of a kind whose columns (agent_id, team_id, status, id)
    equal the given values."""
    clauses = "".join(f" AND {column} = ?" for column in where)
    rows = db.query(f"SELECT doc FROM {LIVE.docs} WHERE kind = ?{clauses}", (kind, *where.values()))
    return [json.loads(r["doc"]) for r in rows]


def team_ids(db: Database) -> list[str]:
    """Every team with KPI data or goals, in order."""
    rows = db.query(
        f"{kpi_view.team_ids_text()} "
        f"UNION SELECT team_id FROM {LIVE.docs} WHERE kind = 'Goal' AND team_id IS NOT NULL "
        "ORDER BY team_id"
    )
    return [r["team_id"] for r in rows]


# Kinds of record that name a team: any of them makes the team known.
TEAM_RECORDS = (
    "Goal",
    "Review",
    "CheckIn",
    "GoalTemplate",
    "Alert",
    "AlertRules",
    "DevelopmentPlan",
)


def team_exists(db: Database, team_id: str) -> bool:
    """True when the team has KPI data or any record (goal, review, check-in, template, alert)."""
    if kpi_view.has_team(db, team_id):
        return True
    marks = ",".join("?" * len(TEAM_RECORDS))
    return bool(
        db.query(
            f"SELECT 1 AS x FROM {LIVE.docs} WHERE kind IN ({marks}) AND team_id = ? LIMIT 1",
            (*TEAM_RECORDS, team_id),
        )
    )


def kind_stamps(db: Database, kinds: Sequence[str]) -> list[dict[str, Any]]:
    """Per kind: how many documents and when the latest changed (kind, n, latest), by kind."""
    return db.query(
        f"SELECT kind, COUNT(*) AS n, MAX(updated_at) AS latest FROM {LIVE.docs} "
        f"WHERE kind IN ({','.join('?' * len(kinds))}) GROUP BY kind ORDER BY kind",
        tuple(kinds),
    )


def known_ids(db: Database, kind: str, ids: Sequence[str]) -> set[str]:
    """Which of these ids have a document of the kind."""
    found: set[str] = set()
    for part in chunks(sorted(ids)):
        rows = db.query(
            f"SELECT id FROM {LIVE.docs} WHERE kind = ? AND id IN ({','.join('?' * len(part))})",
            (kind, *part),
        )
        found.update(r["id"] for r in rows)
    return found


def ids_of_agent(db: Database, agent_id: str, kinds: Sequence[str]) -> list[str]:
    """The ids of the agent's documents of these kinds, by kind and id."""
    rows = db.query(
        f"SELECT id FROM {LIVE.docs} WHERE agent_id = ? AND kind IN ({','.join('?' * len(kinds))}) "
        "ORDER BY kind, id",
        (agent_id, *kinds),
    )
    return [str(r["id"]) for r in rows]
