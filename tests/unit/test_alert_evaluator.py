"""The alert evaluator on a fake read side (no I/O): a rule trips once, a finding is never raised
twice, and nothing is read again while nothing it reads has changed."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from aggregates.alert import Alert
from engine.alerting import AlertEvaluator
from engine.application import PerfLedger
from engine.commands import SetGoal
from tests.fakes import FakeAlertSource, FakeReadModels

TODAY = datetime(2026, 10, 9, 12, tzinfo=UTC)


def calls(agent: str, day: int, handle: int, count: int = 6) -> list[dict[str, Any]]:
    return [
        {
            "event_id": str(uuid.uuid4()),
            "type": "call.completed",
            "agent_id": agent,
            "team_id": "team-a",
            "occurred_at": datetime(2026, 10, day, 9, n, tzinfo=UTC),
            "call_id": f"{agent}-{day}-{n}",
            "talk_seconds": handle,
            "hold_seconds": 0,
            "acw_seconds": 0,
            "transferred": False,
            "resolved_first_contact": True,
        }
        for n in range(count)
    ]


class CountingSource(FakeAlertSource):
    """Counts the evaluations: each one starts by listing the teams."""

    evaluations = 0

    def teams(self, since: date) -> list[str]:
        self.evaluations += 1
        return super().teams(since)


def slow_agent(
    handle_by_day: tuple[tuple[int, int], ...] = ((5, 320), (6, 330), (7, 340), (8, 290)),
) -> tuple[PerfLedger, FakeReadModels]:
    """A goal of AHT at most 300 s and the agent's handle time by day of October (by default
    missed on the 5th, 6th and 7th, met on the 8th)."""
    app = PerfLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.set_goal(
        SetGoal(
            agent_id="agent-1",
            team_id="team-a",
            title="Handle time",
            description="",
            kpi="aht_seconds",
            target=300,
            direction="at_most",
            period_start=date(2026, 10, 1),
            period_end=date(2026, 12, 31),
            weight=1,
        ),
        "admin:alice",
    )
    models = FakeReadModels()
    models.sync(app)
    for day, handle in handle_by_day:
        models.accept(calls("agent-1", day, handle))
    return app, models


def alerts_in(app: PerfLedger) -> list[Alert]:
    stored = app.recorder.select_notifications(0, 1000)
    found: list[Any] = [
        app.repository.get(uuid.UUID(str(n.originator_id)))
        for n in stored
        if n.topic.endswith("Alert.Raised")
    ]
    return [alert for alert in found if isinstance(alert, Alert)]


def test_three_missed_days_raise_one_alert_for_the_last_of_them() -> None:
    app, models = slow_agent()
    assert (
        AlertEvaluator(app, FakeAlertSource(models), lookback_days=30, clock=lambda: TODAY).step()
        == 1
    )
    (alert,) = alerts_in(app)
    assert (alert.rule, alert.agent_id, alert.day) == ("goal_streak", "agent-1", date(2026, 10, 7))


def test_a_finding_already_raised_is_not_raised_again_by_a_restarted_evaluator() -> None:
    app, models = slow_agent()
    AlertEvaluator(app, FakeAlertSource(models), lookback_days=30, clock=lambda: TODAY).step()
    models.sync(app)  # the alert is projected
    models.accept(calls("agent-2", 8, 100))  # something changed, so the rules are evaluated again
    assert (
        AlertEvaluator(app, FakeAlertSource(models), lookback_days=30, clock=lambda: TODAY).step()
        == 0
    )
    assert len(alerts_in(app)) == 1


def test_nothing_is_evaluated_again_until_something_the_evaluator_reads_changes() -> None:
    app, models = slow_agent()
    source = CountingSource(models)
    now = [TODAY]
    evaluator = AlertEvaluator(app, source, lookback_days=30, clock=lambda: now[0])
    evaluator.step()
    evaluator.step()
    assert source.evaluations == 1
    models.accept(calls("agent-1", 8, 100, count=1))
    evaluator.step()
    assert source.evaluations == 2
    now[0] = TODAY.replace(day=10)  # a new day is judged
    evaluator.step()
    assert source.evaluations == 3
