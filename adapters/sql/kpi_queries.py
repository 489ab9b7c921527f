"""Read-side queries over the KPI sums: bucket rows and leaderboards."""

from __future__ import annotations

from typing import Any

from adapters.sql.database import Database
from projections.kpi import COUNTERS, kpis

_SUMS = ", ".join(COUNTERS)
_SUMMED = ", ".join(f"SUM({c}) AS {c}" for c in COUNTERS)


def kpi_rows(
    db: Database, scope: str, scope_id: str, bucket: str, start: str | None, end: str | None,
    after: str | None, limit: int,
) -> list[dict[str, Any]]:
    """KPI rows of one agent or team, bucket by bucket, oldest first."""
    clauses, params = ["scope = ?", "scope_id = ?", "bucket = ?"], [scope, scope_id, bucket]
    for clause, value in (("start >= ?", start), ("start < ?", end), ("start > ?", after)):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    rows = db.query(
        f"SELECT start, {_SUMS} FROM kpi_sums WHERE {' AND '.join(clauses)} ORDER BY start LIMIT ?",
        (*params, limit),
    )
    return [{"start": r["start"], **kpis(r)} for r in rows]


def team_of_agent(db: Database, agent_id: str) -> str | None:
    """The team of the agent's most recent KPI bucket."""
    rows = db.query(
        "SELECT team_id FROM kpi_sums WHERE scope = 'agent' AND scope_id = ? AND bucket = 'day' "
        "ORDER BY start DESC LIMIT 1",
        (agent_id,),
    )
    return str(rows[0]["team_id"]) if rows else None


def agent_totals(db: Database, team_id: str, start: str | None, end: str | None) -> list[dict[str, Any]]:
    """Each agent of the team with KPIs over the whole range (summed day buckets)."""
    clauses, params = ["scope = 'agent'", "team_id = ?", "bucket = 'day'"], [team_id]
    for clause, value in (("start >= ?", start), ("start < ?", end)):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    rows = db.query(
        f"SELECT scope_id, {_SUMMED} FROM kpi_sums WHERE {' AND '.join(clauses)} GROUP BY scope_id",
        params,
    )
    return [{"agent_id": r["scope_id"], **kpis({c: int(r[c]) for c in COUNTERS})} for r in rows]


def ingest_counters(db: Database) -> dict[str, int]:
    return {r["name"]: int(r["value"]) for r in db.query("SELECT name, value FROM ingest_counters")}
