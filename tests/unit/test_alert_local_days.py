"""Alert streaks end at the team's local midnight: a Beijing day is judged once it is over."""

from __future__ import annotations

from datetime import UTC, date, datetime

from engine.alerting import AlertEvaluator
from engine.application import PerfLedger
from tests.fakes import FakeAlertSource, FakeReadModels
from tests.unit.test_alert_evaluator import alerts_in, slow_agent

# 17:00 UTC on 7 October is 01:00 on the 8th in Beijing: the 7th is over there, not in UTC.
NOW = datetime(2026, 10, 7, 17, tzinfo=UTC)


class ZonedSource(FakeAlertSource):
    """The fake read side with the team in a zone of the test's choosing."""

    def __init__(self, models: FakeReadModels, zone: str) -> None:
        super().__init__(models)
        self.zone = zone

    def time_zone(self, team_id: str) -> str:
        return self.zone


def missed_three_days() -> tuple[PerfLedger, FakeReadModels]:
    """A goal of AHT at most 300 s, missed on the 5th, 6th and 7th; nothing after."""
    return slow_agent(((5, 320), (6, 330), (7, 340)))


def test_a_day_still_running_in_utc_is_judged_once_the_team_s_midnight_passed() -> None:
    app, models = missed_three_days()
    utc = AlertEvaluator(app, ZonedSource(models, "UTC"), lookback_days=30, clock=lambda: NOW)
    assert utc.step() == 0  # the 7th is not over in UTC: two missed days so far
    beijing = ZonedSource(models, "Asia/Shanghai")
    assert AlertEvaluator(app, beijing, lookback_days=30, clock=lambda: NOW).step() == 1
    (alert,) = alerts_in(app)
    assert alert.day == date(2026, 10, 7)
