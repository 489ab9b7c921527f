"""What the goal-progress process manager reads: changed agents, their goals,
KPI sums over a period."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from adapters.sql import kpi_view
from adapters.sql.database import Database
from adapters.sql.documents_view import documents_of
from adapters.sql.kpi_attribution import applied_version
from adapters.sql.kpi_view import KpiView, RosterMoved
from adapters.sql.positions import (
    Position,
    claim_interval,
    load_relay_position,
    save_relay_position,
)
from aggregates.kpis import KPI_NAMES
from engine.ports import Roster
from engine.roster_index import RosterIndex
from projections.attribution import UTC_ZONE, local_midnight
from projections.kpi import COUNTERS, kpis

# The manager's place in the event store's log of goals set or activated; kept beside the
# relay's position (its own name, and no broker life: it reads the store, not Kafka).
GOAL_POSITION = "goal-progress"
STORE_LIFE = "event-store"


class SqlProgressSource:
    """The read side the process manager needs, in the read-model database."""

    def __init__(self, db: Database, roster: Roster | None = None) -> None:
        self.db = db
        self.roster: Roster = RosterIndex() if roster is None else roster
        self.kpi = KpiView(roster=self.roster)

    def follow_roster(self) -> None:
        """Re-attributes counted KPIs when the roster moved since they were (a write only then)."""
        snapshot = self.kpi.refresh()
        if applied_version(self.db) == snapshot.version:
            return
        try:
            with self.db.transaction() as cur:
                self.kpi.sync(cur)
        except RosterMoved:
            pass  # another process applied a newer roster: read it on the next pass

    def changed_agents(self) -> dict[str, str]:
        """Agents whose KPIs moved, with when they last moved."""
        return kpi_view.changed_agents(self.db)

    def forget_change(self, agent_id: str, changed_at: str) -> None:
        """Clears an agent's mark unless it moved again since it was read."""
        kpi_view.forget_change(self.db, agent_id, changed_at)

    def mark_changed(self, agent_id: str) -> None:
        """Marks an agent to be looked at again (a new goal held back by the interval limit)."""
        kpi_view.mark_changed(self.db, agent_id)

    def goal_position(self) -> int:
        """The last notification id of the goals already measured on arrival (0 at first)."""
        found = load_relay_position(self.db, GOAL_POSITION)
        return found.value if found else 0

    def save_goal_position(self, position: int) -> None:
        save_relay_position(self.db, GOAL_POSITION, Position(STORE_LIFE, position))

    def measured_goals(self, agent_id: str) -> list[dict[str, Any]]:
        """The agent's active goals measured by a KPI (not manual)."""
        goals = documents_of(self.db, "Goal", agent_id=agent_id, status="active")
        return [doc for doc in goals if doc.get("kpi") in KPI_NAMES]

    def period_kpis(
        self, agent_id: str, start: date, end: date, team_id: str | None = None
    ) -> tuple[dict[str, Any], datetime | None]:
        """The agent's KPIs over whole local days start..end of the team (its days in that team,
        when the roster knows the agent), and the end of its latest interval with data."""
        team = self.roster.team(team_id) if team_id else None
        zone = team.time_zone if team else UTC_ZONE
        in_team = team_id if team_id and self.roster.memberships(agent_id) else None
        sums, latest = kpi_view.period_sums(
            self.db,
            agent_id,
            local_midnight(start, zone).isoformat(),
            local_midnight(end + timedelta(days=1), zone).isoformat(),
            in_team,
        )
        if not sums["n"]:
            return kpis(dict.fromkeys(COUNTERS, 0)), None
        values = kpis({c: int(sums[c] or 0) for c in COUNTERS})
        return values, datetime.fromisoformat(latest) + timedelta(minutes=15) if latest else None

    def claim(self, goal_id: str, interval_start: str) -> bool:
        """True once per goal and interval: the right to record progress in it."""
        return claim_interval(self.db, goal_id, interval_start)
