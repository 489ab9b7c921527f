"""What the alert evaluator reads: teams' daily KPI values, active goals, rules, known alerts."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from adapters.sql import kpi_view
from adapters.sql.database import Database
from adapters.sql.documents_view import documents_of, get_document, kind_stamps, known_ids
from adapters.sql.ingest_counts import accepted_total
from aggregates.alert import alert_rules_id
from aggregates.kpis import KPI_NAMES
from engine.alert_rules import DayValues
from engine.ports import Roster
from projections.attribution import UTC_ZONE, local_date, local_midnight
from projections.kpi import COUNTERS, kpis


def midnight(day: date, zone: str = UTC_ZONE) -> str:
    """Local midnight starting `day` in the zone, as the UTC text bucket starts are kept in."""
    return local_midnight(day, zone).isoformat()


class SqlAlertSource:
    """The evaluator's reads, in the read-model database
    (adapters/sql/kpi_view.py, documents_view.py); days are the team's local days."""

    def __init__(self, db: Database, roster: Roster | None = None) -> None:
        self.db = db
        self.roster = roster

    def time_zone(self, team_id: str) -> str:
        team = self.roster.team(team_id) if self.roster is not None else None
        return team.time_zone if team else UTC_ZONE

    def fingerprint(self) -> str:
        """Changes whenever telephony is accepted or a goal or a team's rules change."""
        accepted = accepted_total(self.db)
        docs = kind_stamps(self.db, ("Goal", "AlertRules"))
        return json.dumps([accepted, [[d["kind"], d["n"], d["latest"]] for d in docs]])

    def teams(self, since: date) -> list[str]:
        # A day earlier: local days east of UTC start on the UTC day before.
        return kpi_view.teams_since(self.db, midnight(since - timedelta(days=1)))

    def day_values(self, team_id: str, since: date) -> DayValues:
        zone = self.time_zone(team_id)
        rows = kpi_view.agent_days_of_team(self.db, team_id, midnight(since, zone))
        values: dict[str, dict[date, dict[str, Any]]] = {}
        for row in rows:
            day = local_date(datetime.fromisoformat(row["start"]), zone)
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
