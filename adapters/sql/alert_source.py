"""What the alert evaluator reads: teams' daily KPI values, active goals, rules, known alerts."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from typing import Any

from adapters.sql.database import Database
from aggregates.alert import alert_rules_id
from aggregates.kpis import KPI_NAMES
from engine.alert_rules import DayValues
from projections.kpi import COUNTERS, kpis
from projections.store import chunks

_SUMS = ", ".join(COUNTERS)


def midnight(day: date) -> str:
    return datetime.combine(day, time(), tzinfo=UTC).isoformat()


class SqlAlertSource:
    """The evaluator's reads, in the read-model database (indexed: kpi_sums_by_team, documents_by_team)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def fingerprint(self) -> str:
        """Changes whenever telephony is accepted or a goal or a team's rules change."""
        accepted = self.db.query("SELECT value FROM ingest_counters WHERE name = 'accepted'")
        docs = self.db.query(
            "SELECT kind, COUNT(*) AS n, MAX(updated_at) AS latest FROM documents "
            "WHERE kind IN ('Goal', 'AlertRules') GROUP BY kind ORDER BY kind")
        return json.dumps([accepted[0]["value"] if accepted else 0,
                           [[d["kind"], d["n"], d["latest"]] for d in docs]])

    def teams(self, since: date) -> list[str]:
        rows = self.db.query(
            "SELECT DISTINCT scope_id FROM kpi_sums WHERE scope = 'team' AND bucket = 'day' AND start >= ? "
            "ORDER BY scope_id", (midnight(since),))
        return [r["scope_id"] for r in rows]

    def day_values(self, team_id: str, since: date) -> DayValues:
        rows = self.db.query(
            f"SELECT scope_id, start, {_SUMS} FROM kpi_sums WHERE scope = 'agent' AND team_id = ? "
            "AND bucket = 'day' AND start >= ?", (team_id, midnight(since)))
        values: dict[str, dict[date, dict[str, Any]]] = {}
        for row in rows:
            day = datetime.fromisoformat(row["start"]).date()
            values.setdefault(row["scope_id"], {})[day] = kpis({c: int(row[c]) for c in COUNTERS})
        return values

    def active_goals(self, team_id: str) -> list[dict[str, Any]]:
        rows = self.db.query("SELECT doc FROM documents WHERE kind = 'Goal' AND team_id = ? AND status = 'active'",
                             (team_id,))
        return [doc for doc in (json.loads(r["doc"]) for r in rows) if doc.get("kpi") in KPI_NAMES]

    def rules(self, team_id: str) -> list[dict[str, Any]] | None:
        rows = self.db.query("SELECT doc FROM documents WHERE kind = 'AlertRules' AND id = ?",
                             (str(alert_rules_id(team_id)),))
        return list(json.loads(rows[0]["doc"])["rules"]) if rows else None

    def known_alerts(self, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for part in chunks(sorted(ids)):
            rows = self.db.query(
                f"SELECT id FROM documents WHERE kind = 'Alert' AND id IN ({','.join('?' * len(part))})", part)
            found.update(r["id"] for r in rows)
        return found
