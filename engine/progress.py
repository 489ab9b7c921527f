"""The goal-progress process manager: KPI changes become Goal.ProgressRecorded events.

It looks at agents whose KPIs moved, computes each measured goal's KPI over the goal's
period (from the day sums), and records progress when the value differs from the goal's
latest one; at most once per goal per 15-minute interval, so a busy stream yields an
auditable trail rather than a flood. An agent whose goal was held back by that limit
stays marked and is looked at again in the next interval.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any, Protocol
from uuid import UUID

from aggregates.errors import DomainError
from aggregates.goal import Goal
from engine import periodic
from engine.application import PerfLedger

log = logging.getLogger(__name__)
ACTOR = "system:goal-progress"


class ProgressSource(Protocol):
    def changed_agents(self) -> dict[str, str]: ...
    def forget_change(self, agent_id: str, changed_at: str) -> None: ...
    def measured_goals(self, agent_id: str) -> list[dict[str, Any]]: ...
    def period_kpis(self, agent_id: str, start: date, end: date) -> tuple[dict[str, Any], datetime | None]: ...
    def claim(self, goal_id: str, interval_start: str) -> bool: ...


def interval_of(at: datetime) -> str:
    return at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0).isoformat()


class GoalProgress:
    """Records goal progress from KPI changes."""

    def __init__(self, app: PerfLedger, source: ProgressSource, clock: Callable[[], datetime] | None = None) -> None:
        self.app = app
        self.source = source
        self.clock = clock or (lambda: datetime.now(UTC))
        self.recorded = 0

    def step(self) -> int:
        """One pass over the changed agents; returns how many progress events it recorded."""
        recorded = 0
        for agent_id, changed_at in self.source.changed_agents().items():
            done, held_back = self._agent(agent_id)
            recorded += done
            if not held_back:
                self.source.forget_change(agent_id, changed_at)
        self.recorded += recorded
        return recorded

    def _agent(self, agent_id: str) -> tuple[int, bool]:
        done, held_back = 0, False
        for doc in self.source.measured_goals(agent_id):
            start, end = date.fromisoformat(doc["period_start"]), date.fromisoformat(doc["period_end"])
            values, latest = self.source.period_kpis(agent_id, start, end)
            value = values.get(doc["kpi"])
            if value is None or latest is None:
                continue
            goal: Goal = self.app.repository.get(UUID(doc["id"]))
            if goal.latest_value == value:
                continue
            if not self.source.claim(doc["id"], interval_of(self.clock())):
                held_back = True
                continue
            as_of = min(latest, datetime.combine(end, time.max, tzinfo=UTC))
            try:
                self.app.record_progress(doc["id"], value, as_of, f"kpi:{doc['kpi']}", ACTOR,
                                         note=f"{doc['kpi']} over {start}..{end}")
                done += 1
            except DomainError as error:
                log.info("goal %s: progress not recorded: %s", doc["id"], error.message)
        return done, held_back

    def run(self, stop: threading.Event, every: float = 5.0) -> None:
        """Steps every few seconds until stopped."""
        periodic.every(stop, every, self.step, "goal progress")
