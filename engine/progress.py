"""The goal-progress process manager: KPI changes become Goal.ProgressRecorded events.

It looks at agents whose KPIs moved, computes each measured goal's KPI over the goal's
period (from the day sums), and records progress when the value differs from the goal's
latest one; at most once per goal per 15-minute interval, so a busy stream yields an
auditable trail rather than a flood. An agent whose goal was held back by that limit
stays marked and is looked at again in the next interval.

It also reads the goals set or activated since its last pass, straight from the event
store (so it need not wait for the read model), and measures each at once over the data
already there: a goal set after its agent's calls is measured without waiting for the
agent's next call. A manual override on a goal stands until the KPI next moves; then the
KPI value supersedes it, even when it equals the value the override replaced.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from aggregates.errors import DomainError
from aggregates.goal import Goal
from aggregates.kpis import BY_NAME
from engine import periodic
from engine.application import PerfLedger
from engine.ports import ProgressSource

log = logging.getLogger(__name__)
ACTOR = "system:goal-progress"
# Goals start to be measured when they are set active or activated.
STARTS = (get_topic(Goal.Set), get_topic(Goal.Activated))  # type: ignore[attr-defined]
BATCH = 500


@dataclass(frozen=True)
class Measured:
    """What the manager needs of a goal to measure it."""

    goal_id: str
    agent_id: str
    kpi: str
    start: date
    end: date
    team_id: str | None = None


def interval_of(at: datetime) -> str:
    return at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0).isoformat()


class GoalProgress:
    """Records goal progress from KPI changes and for goals new since the last pass."""

    def __init__(
        self,
        app: PerfLedger,
        source: ProgressSource,
        clock: Callable[[], datetime] | None = None,
        settle: float = 2.0,
    ) -> None:
        self.app = app
        self.source = source
        self.clock = clock or (lambda: datetime.now(UTC))
        # On PostgreSQL notification ids can commit out of order: the position only passes
        # goals older than this many seconds, so a late commit below it is still read.
        self.settle = settle
        self.recorded = 0

    def step(self) -> int:
        """One pass over new goals and changed agents; returns how many progress events it
        recorded."""
        # A roster change re-attributes counted KPIs even while no telephony arrives; the agents
        # it moves are then marked changed and measured below.
        self.source.follow_roster()
        recorded = self._new_goals()
        for agent_id, changed_at in self.source.changed_agents().items():
            done, held_back = self._agent(agent_id)
            recorded += done
            if not held_back:
                self.source.forget_change(agent_id, changed_at)
        self.recorded += recorded
        return recorded

    def _new_goals(self) -> int:
        start = self.source.goal_position()
        notifications = self.app.recorder.select_notifications(
            start=start, limit=BATCH, topics=STARTS, inclusive_of_start=False
        )
        done, position, settled = 0, start, True
        cutoff = datetime.now(UTC) - timedelta(seconds=self.settle)
        for notification in notifications:
            event: Any = self.app.mapper.to_domain_event(
                notification
            )  # an aggregate event: it has a timestamp
            done += self._new_goal(event.originator_id)
            settled = settled and event.timestamp <= cutoff
            if settled:
                position = notification.id
        if position != start:
            self.source.save_goal_position(position)
        return done

    def _new_goal(self, goal_id: UUID) -> int:
        goal: Any = self.app.repository.get(goal_id)
        if not isinstance(goal, Goal) or goal.status != "active" or not goal.kpi_measured:
            return 0
        measured = Measured(
            str(goal.id),
            goal.agent_id,
            goal.kpi,
            goal.period_start,
            goal.period_end,
            goal.team_id,
        )
        done, held_back = self._measure(measured)
        if held_back:
            self.source.mark_changed(goal.agent_id)
        return done

    def _agent(self, agent_id: str) -> tuple[int, bool]:
        done, held_back = 0, False
        for doc in self.source.measured_goals(agent_id):
            one, held = self._measure(
                Measured(
                    doc["id"],
                    agent_id,
                    doc["kpi"],
                    date.fromisoformat(doc["period_start"]),
                    date.fromisoformat(doc["period_end"]),
                    doc.get("team_id"),
                )
            )
            done, held_back = done + one, held_back or held
        return done, held_back

    def _measure(self, goal_ref: Measured) -> tuple[int, bool]:
        """Records the goal's KPI over its period when it changed: (recorded, held back)."""
        if goal_ref.kpi not in BY_NAME:  # only the catalogue's KPIs are measured
            return 0, False
        # The period's days are the goal's team's local days, and only the agent's days in that
        # team count (an agent that moved counts for each team its own days).
        values, latest = self.source.period_kpis(
            goal_ref.agent_id, goal_ref.start, goal_ref.end, goal_ref.team_id
        )
        value = values.get(goal_ref.kpi)
        if value is None or latest is None:
            return 0, False
        goal: Goal = self.app.repository.get(UUID(goal_ref.goal_id))
        if goal.latest_value == value and not goal.overridden:
            return 0, False
        if not self.source.claim(goal_ref.goal_id, interval_of(self.clock())):
            return 0, True
        # The goal dates its progress by the UTC date (aggregates/goal.py): keep as_of in there.
        as_of = max(
            min(latest, datetime.combine(goal_ref.end, time.max, tzinfo=UTC)),
            datetime.combine(goal_ref.start, time.min, tzinfo=UTC),
        )
        try:
            self.app.record_progress(
                goal_ref.goal_id,
                value,
                as_of,
                f"kpi:{goal_ref.kpi}",
                ACTOR,
                note=f"{goal_ref.kpi} over {goal_ref.start}..{goal_ref.end}",
            )
            return 1, False
        except DomainError as error:
            log.info("goal %s: progress not recorded: %s", goal_ref.goal_id, error.message)
            return 0, False

    def run(self, stop: threading.Event, every: float = 5.0) -> None:
        """Steps every few seconds until stopped."""
        periodic.every(stop, every, self.step, "goal progress")
