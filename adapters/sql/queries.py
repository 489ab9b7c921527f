"""Read-side queries for the HTTP API."""

from __future__ import annotations

import json
from typing import Any

from adapters.sql.database import Database


def get_document(db: Database, kind: str, doc_id: str) -> dict[str, Any] | None:
    rows = db.query("SELECT doc FROM documents WHERE kind = ? AND id = ?", (kind, doc_id))
    return json.loads(rows[0]["doc"]) if rows else None


def find_document(db: Database, doc_id: str) -> tuple[str, dict[str, Any]] | None:
    """Any aggregate's document by id, with its kind."""
    rows = db.query("SELECT kind, doc FROM documents WHERE id = ?", (doc_id,))
    return (rows[0]["kind"], json.loads(rows[0]["doc"])) if rows else None


def list_documents(
    db: Database, kind: str, *, filters: dict[str, str | None], teams: tuple[str, ...] | None,
    after: str | None, limit: int,
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
        f"SELECT doc FROM documents WHERE {' AND '.join(clauses)} ORDER BY id LIMIT ?",
        (*params, limit),
    )
    return [json.loads(r["doc"]) for r in rows]


def history(db: Database, aggregate_id: str) -> list[dict[str, Any]]:
    """An aggregate's events as the history model holds them, oldest first."""
    rows = db.query(
        "SELECT version, type, at, actor, data, hash, prev_hash FROM history "
        "WHERE aggregate_id = ? ORDER BY version",
        (aggregate_id,),
    )
    return [
        {"sequence": r["version"], "type": r["type"], "at": r["at"], "actor": r["actor"],
         "data": json.loads(r["data"]), "hash": r["hash"], "prev_hash": r["prev_hash"]}
        for r in rows
    ]


def team_ids(db: Database) -> list[str]:
    """Every team with KPI data or goals, in order."""
    rows = db.query(
        "SELECT scope_id AS team_id FROM kpi_sums WHERE scope = 'team' AND bucket = 'day' "
        "UNION SELECT team_id FROM documents WHERE kind = 'Goal' AND team_id IS NOT NULL ORDER BY team_id"
    )
    return [r["team_id"] for r in rows]


# Kinds of record that name a team: any of them makes the team known.
TEAM_RECORDS = ("Goal", "Review", "CheckIn", "GoalTemplate", "Alert", "AlertRules")


def team_exists(db: Database, team_id: str) -> bool:
    """True when the team has KPI data or any record (goal, review, check-in, template, alert)."""
    if db.query("SELECT 1 AS x FROM kpi_sums WHERE scope = 'team' AND scope_id = ? LIMIT 1", (team_id,)):
        return True
    marks = ",".join("?" * len(TEAM_RECORDS))
    return bool(db.query(f"SELECT 1 AS x FROM documents WHERE kind IN ({marks}) AND team_id = ? LIMIT 1",
                         (*TEAM_RECORDS, team_id)))
