"""What the goal-progress process manager reads: changed agents, their goals, KPI sums over a period."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from adapters.sql.database import Database
from adapters.sql.positions import Position, load_relay_position, save_relay_position
from aggregates.kpis import KPI_NAMES
from projections.kpi import COUNTERS, kpis

# The manager's place in the event store's log of goals set or activated; kept beside the
# relay's position (its own name, and no broker life: it reads the store, not Kafka).
GOAL_POSITION = "goal-progress"
STORE_LIFE = "event-store"
_SUMMED = ", ".join(f"SUM({c}) AS {c}" for c in COUNTERS)


def midnight(day: date) -> str:
    return datetime.combine(day, time(), tzinfo=UTC).isoformat()


class SqlProgressSource:
    """The read side the process manager needs, in the read-model database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def changed_agents(self) -> dict[str, str]:
        """Agents whose KPIs moved, with when they last moved."""
        return {r["agent_id"]: r["changed_at"] for r in self.db.query("SELECT agent_id, changed_at FROM kpi_changes")}

    def forget_change(self, agent_id: str, changed_at: str) -> None:
        """Clears an agent's mark unless it moved again since it was read."""
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM kpi_changes WHERE agent_id = ? AND changed_at = ?", (agent_id, changed_at))

    def mark_changed(self, agent_id: str) -> None:
        """Marks an agent to be looked at again (a new goal held back by the interval limit)."""
        with self.db.transaction() as cur:
            cur.execute("INSERT INTO kpi_changes (agent_id, changed_at) VALUES (?, ?) "
                        "ON CONFLICT (agent_id) DO NOTHING", (agent_id, datetime.now(UTC).isoformat()))

    def goal_position(self) -> int:
        """The last notification id of the goals already measured on arrival (0 at first)."""
        found = load_relay_position(self.db, GOAL_POSITION)
        return found.value if found else 0

    def save_goal_position(self, position: int) -> None:
        save_relay_position(self.db, GOAL_POSITION, Position(STORE_LIFE, position))

    def measured_goals(self, agent_id: str) -> list[dict[str, Any]]:
        """The agent's active goals measured by a KPI (not manual)."""
        rows = self.db.query(
            "SELECT doc FROM documents WHERE kind = 'Goal' AND agent_id = ? AND status = 'active'", (agent_id,))
        return [doc for doc in (json.loads(r["doc"]) for r in rows) if doc.get("kpi") in KPI_NAMES]

    def period_kpis(self, agent_id: str, start: date, end: date) -> tuple[dict[str, Any], datetime | None]:
        """The agent's KPIs over whole days start..end, and the end of its latest interval with data."""
        bounds = (agent_id, midnight(start), midnight(end + timedelta(days=1)))
        sums = self.db.query(
            f"SELECT {_SUMMED}, COUNT(*) AS n FROM kpi_sums WHERE scope = 'agent' AND scope_id = ? "
            "AND bucket = 'day' AND start >= ? AND start < ?", bounds)[0]
        latest = self.db.query(
            "SELECT MAX(start) AS latest FROM kpi_sums WHERE scope = 'agent' AND scope_id = ? "
            "AND bucket = 'interval' AND start >= ? AND start < ?", bounds)[0]["latest"]
        if not sums["n"]:
            return kpis(dict.fromkeys(COUNTERS, 0)), None
        values = kpis({c: int(sums[c] or 0) for c in COUNTERS})
        return values, datetime.fromisoformat(latest) + timedelta(minutes=15) if latest else None

    def claim(self, goal_id: str, interval_start: str) -> bool:
        """True once per goal and interval: the right to record progress in it."""
        with self.db.transaction() as cur:
            cur.execute("SELECT 1 AS x FROM goal_progress_marks WHERE goal_id = ? AND interval_start = ?",
                        (goal_id, interval_start))
            if cur.rows():
                return False
            cur.execute("INSERT INTO goal_progress_marks (goal_id, interval_start) VALUES (?, ?)",
                        (goal_id, interval_start))
            return True
