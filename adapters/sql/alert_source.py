"""What the alert evaluator reads: teams' daily KPI values, active goals, rules, known alerts."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from typing import Any

from adapters.sql import kpi_view
from adapters.sql.database import Database
from adapters.sql.documents_view import documents_of, get_document, kind_stamps, known_ids
from adapters.sql.ingest_counts import accepted_total
from aggregates.alert import alert_rules_id
from aggregates.kpis import KPI_NAMES
from engine.alert_rules import DayValues
from projections.kpi import COUNTERS, kpis


def midnight(day: date) -> str:
    return datetime.combine(day, time(), tzinfo=UTC).isoformat()


class SqlAlertSource:
    """The evaluator's reads, in the read-model database
    (adapters/sql/kpi_view.py, documents_view.py)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def fingerprint(self) -> str:
        """Changes whenever telephony is accepted or a goal or a team's rules change."""
        accepted = accepted_total(self.db)
        docs = kind_stamps(self.db, ("Goal", "AlertRules"))
        return json.dumps([accepted, [[d["kind"], d["n"], d["latest"]] for d in docs]])

    def teams(self, since: date) -> list[str]:
        return kpi_view.teams_since(self.db, midnight(since))

    def day_values(self, team_id: str, since: date) -> DayValues:
        rows = kpi_view.agent_days_of_team(self.db, team_id, midnight(since))
        values: dict[str, dict[date, dict[str, Any]]] = {}
        for row in rows:
            day = datetime.fromisoformat(row["start"]).date()
            values.setdefault(row["scope_id"], {})[day] = kpis({c: int(row[c]) for c in COUNTERS})
        return values

    def active_goals(self, team_id: str) -> list[dict[str, Any]]:
        goals = documents_of(self.db, "Goal", team_id=team_id, status="active")
        return [doc for doc in goals if doc.get("kpi") in KPI_NAMES]

    def rules(self, team_id: str) -> list[dict[str, Any]] | None:
        found = get_document(self.db, "AlertRules", str(alert_rules_id(team_id)))
        return list(found["rules"]) if found else None

    def known_alerts(self, ids: list[str]) -> set[str]:
        return known_ids(self.db, "Alert", ids)
