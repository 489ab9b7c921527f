"""The goal-progress process manager on a fake read side (no I/O): KPI movements become
Goal.ProgressRecorded, at most once per goal per interval, and new goals are measured at once."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from aggregates.goal import Goal
from engine.application import PerfLedger
from engine.commands import SetGoal
from engine.progress import ACTOR, GoalProgress
from tests.fakes import FakeProgressSource, FakeReadModels


def calls(agent: str, day: int, handle: int, count: int = 2) -> list[dict[str, Any]]:
    return [
        {
            "event_id": str(uuid.uuid4()),
            "type": "call.completed",
            "agent_id": agent,
            "team_id": "team-a",
            "occurred_at": datetime(2026, 10, day, 9, n, tzinfo=UTC),
            "call_id": f"{agent}-{day}-{n}-{handle}",
            "talk_seconds": handle,
            "hold_seconds": 0,
            "acw_seconds": 0,
            "transferred": False,
            "resolved_first_contact": True,
        }
        for n in range(count)
    ]


class Side:
    """The command side in memory and the read side as fakes, with a clock the test moves."""

    def __init__(self) -> None:
        self.app = PerfLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
        self.models = FakeReadModels()
        self.now = datetime(2026, 10, 20, 9, 0, tzinfo=UTC)
        self.manager = GoalProgress(
            self.app, FakeProgressSource(self.models), lambda: self.now, settle=0
        )

    def set_goal(self, agent: str = "agent-1", kpi: str = "aht_seconds") -> str:
        goal = self.app.set_goal(
            SetGoal(
                agent_id=agent,
                team_id="team-a",
                title="AHT",
                description="",
                kpi=kpi,
                target=300,
                direction="at_most",
                period_start=date(2026, 10, 1),
                period_end=date(2026, 12, 31),
                weight=1,
            ),
            "admin:alice",
        )
        self.models.sync(self.app)
        return str(goal.id)

    def goal(self, goal_id: str) -> Goal:
        goal: Goal = self.app.repository.get(uuid.UUID(goal_id))
        return goal


def test_a_goal_set_after_its_agents_calls_is_measured_on_the_next_pass() -> None:
    side = Side()
    side.models.accept(calls("agent-1", 5, 320))
    side.manager.source.forget_change(
        "agent-1", side.models.changes["agent-1"]
    )  # already looked at
    goal_id = side.set_goal()
    assert side.manager.step() == 1
    goal = side.goal(goal_id)
    assert goal.latest_value == 320 and goal.version == 2
    assert side.manager.source.goal_position() > 0 and side.manager.step() == 0


def test_moving_kpis_become_progress_once_per_interval_the_held_back_agent_stays_marked() -> None:
    side = Side()
    goal_id = side.set_goal()
    side.manager.step()  # nothing measured yet: no data
    side.models.accept(calls("agent-1", 5, 320))
    assert side.manager.step() == 1 and side.models.changes == {}
    side.models.accept(calls("agent-1", 6, 200))
    assert side.manager.step() == 0  # same interval: held back, and the agent stays marked
    assert list(side.models.changes) == ["agent-1"]
    side.now = side.now.replace(minute=15)
    assert side.manager.step() == 1 and side.models.changes == {}
    assert side.goal(goal_id).latest_value == 260  # (2·320 + 2·200) / 4


def test_progress_is_recorded_by_the_manager_as_its_own_actor_for_kpi_goals_only() -> None:
    side = Side()
    measured, manual = side.set_goal(), side.set_goal(kpi="manual")
    side.models.accept(calls("agent-1", 5, 320))
    assert side.manager.step() == 1
    last = list(side.app.events.get(uuid.UUID(measured)))[-1]
    assert type(last).__name__ == "ProgressRecorded" and getattr(last, "actor", None) == ACTOR
    assert side.goal(manual).version == 1
