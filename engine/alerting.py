"""Alerting: the evaluator that raises Alert events as KPI projections move, and the alert commands.

The evaluator looks again only when something it reads has changed (accepted telephony
events, goals, rules, or the date), evaluates each team's rules over the last
`lookback_days` days, and raises each finding once: an alert's id comes from its key, so
a finding raised before (by this or another evaluator) is refused by the event store.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from eventsourcing.persistence import IntegrityError
from pydantic import Field

from aggregates.alert import Alert, AlertRules, alert_id, alert_rules_id
from aggregates.check_in import CheckIn
from aggregates.errors import NotFound
from engine import periodic
from engine.alert_rules import Finding, SetAlertRules, evaluate, parse_rules
from engine.application import PerfLedger
from engine.commands import ActionItem, Command, FeedbackItem, LongText, Moment, RecordCheckIn
from engine.ports import AlertSource

log = logging.getLogger(__name__)
ACTOR = "system:alerts"


class AlertEvaluator:
    """Raises alerts from each team's rules as the KPI read model moves."""

    def __init__(
        self,
        app: PerfLedger,
        source: AlertSource,
        lookback_days: int = 14,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.app = app
        self.source = source
        self.lookback_days = lookback_days
        self.clock = clock or (lambda: datetime.now(UTC))
        self.raised = 0
        self._seen: str | None = None

    def step(self) -> int:
        """One pass when anything read has changed; returns how many alerts it raised."""
        now = self.clock()
        today = now.date()
        # The quarter hour, not the UTC date: some team's local midnight passes every 15 minutes.
        mark = f"{now:%Y-%m-%dT%H}:{now.minute // 15}|{self.source.fingerprint()}"
        if mark == self._seen:
            return 0
        since = today - timedelta(days=self.lookback_days)
        raised = sum(
            self._team(team_id, since, self._today(team_id, now))
            for team_id in self.source.teams(since)
        )
        self._seen = mark
        self.raised += raised
        return raised

    def _today(self, team_id: str, now: datetime) -> date:
        """The team's local date now: its days, and so its streaks, end at its midnight."""
        return now.astimezone(ZoneInfo(self.source.time_zone(team_id))).date()

    def _team(self, team_id: str, since: date, today: date) -> int:
        values = self.source.day_values(team_id, since)
        latest = max((day for days in values.values() for day in days), default=today)
        # A day is judged once it is over, or once the team has data for a later day
        # (telephony replayed from the past is judged as it arrives).
        judged_until = max(latest, today)
        findings = evaluate(
            team_id,
            parse_rules(self.source.rules(team_id)),
            self.source.active_goals(team_id),
            values,
            judged_until,
        )
        known = self.source.known_alerts([str(alert_id(f.key)) for f in findings])
        return sum(raise_alert(self.app, f) for f in findings if str(alert_id(f.key)) not in known)

    def run(self, stop: threading.Event, every: float = 5.0) -> None:
        """Steps every few seconds until stopped."""
        periodic.every(stop, every, self.step, "alerts")


def raise_alert(app: PerfLedger, finding: Finding, actor: str = ACTOR) -> bool:
    """Records the finding as an Alert; False when it was raised before."""
    alert = Alert(
        key=finding.key,
        rule=finding.rule,
        team_id=finding.team_id,
        agent_id=finding.agent_id,
        kpi=finding.kpi,
        day=finding.day,
        value=finding.value,
        threshold=finding.threshold,
        summary=finding.summary,
        details=finding.details,
        actor=actor,
    )
    try:
        app.save(alert)
    except IntegrityError:
        return False
    return True


class AlertCheckIn(Command):
    """The coaching check-in an alert turns into; everything is optional."""

    held_at: Moment | None = Field(default=None, description="default: now")
    notes: LongText | None = Field(default=None, description="default: the alert's summary")
    feedback: list[FeedbackItem] = Field(default_factory=list, max_length=100)
    action_items: list[ActionItem] = Field(default_factory=list, max_length=100)


def alert_to_check_in(
    app: PerfLedger, alert: Alert, body: AlertCheckIn, actor: str
) -> tuple[Alert, CheckIn]:
    """Records a coaching check-in about the alert and closes the alert, in one save."""
    goal_id = alert.details.get("goal_id")
    command = RecordCheckIn(
        agent_id=alert.agent_id,
        team_id=alert.team_id,
        held_at=body.held_at or datetime.now(UTC),
        notes=body.notes if body.notes is not None else f"Coaching on alert: {alert.summary}",
        goal_ids=[goal_id] if goal_id and _is_goal(app, goal_id) else [],
        feedback=body.feedback,
        action_items=body.action_items,
    )
    check_in = app.new_check_in(command, actor)
    alert.turn_into_check_in(check_in_id=str(check_in.id), actor=actor)
    app.save_changes(alert, check_in)
    return alert, check_in


def _is_goal(app: PerfLedger, goal_id: str) -> bool:
    try:
        app.goals([goal_id])
        return True
    except Exception:  # noqa: BLE001 - a goal gone or never projected is simply not discussed
        return False


def set_alert_rules(app: PerfLedger, team_id: str, body: SetAlertRules, actor: str) -> AlertRules:
    """Sets (or replaces) a team's alert rules."""
    rules = [rule.model_dump() for rule in body.rules]
    try:
        current = app.load(AlertRules, alert_rules_id(team_id))
    except NotFound:
        current = AlertRules(team_id=team_id, rules=rules, actor=actor)
        app.save_changes(current)
        return current
    current.replace(rules=rules, actor=actor)
    app.save_changes(current)
    return current
