"""Alerts: a KPI rule tripped for an agent; a manager turns it into a coaching check-in or
dismisses it.

An alert's id is derived from what tripped (rule, agent, goal or KPI, day), so the same
finding raised twice — by a restarted evaluator, or two of them — is one aggregate.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from aggregates.errors import InvalidValue, RuleViolation

ALERT_NAMESPACE = uuid5(NAMESPACE_URL, "perfledger:alert")
RULES_NAMESPACE = uuid5(NAMESPACE_URL, "perfledger:alert-rules")
RULE_KINDS = ("goal_streak", "deviation")


def alert_id(key: str) -> UUID:
    """The id of the alert for one finding (see engine.alert_rules.Finding.key)."""
    return uuid5(ALERT_NAMESPACE, key)


def alert_rules_id(team_id: str) -> UUID:
    """The id of a team's alert rules: derived, so the team id finds them."""
    return uuid5(RULES_NAMESPACE, team_id)


class Alert(Aggregate):
    """A tripped KPI rule for one agent, open until a manager acts on it."""

    @event("Raised")
    def __init__(
        self,
        *,
        key: str,
        rule: str,
        team_id: str,
        agent_id: str,
        kpi: str,
        day: date,
        value: float,
        threshold: float,
        summary: str,
        details: dict[str, Any],
        actor: str,
    ) -> None:
        if rule not in RULE_KINDS:
            raise InvalidValue(f"unknown alert rule {rule!r}", field="rule")
        self.key = key
        self.rule = rule
        self.team_id = team_id
        self.agent_id = agent_id
        self.kpi = kpi
        self.day = day
        self.value = value
        self.threshold = threshold
        self.summary = summary
        self.details = dict(details)
        self.status = "open"
        self.check_in_id: str | None = None
        self.plan_id: str | None = None

    @classmethod
    def create_id(cls, *, key: str, **_: Any) -> UUID:
        return alert_id(key)

    def turn_into_check_in(self, *, check_in_id: str, actor: str) -> None:
        """Links the coaching check-in held about this alert; the alert is then handled."""
        if self.check_in_id == check_in_id:
            # Linked already: a retried request (Idempotency-Key) recreating the same check-in.
            return
        self.check_open()
        self._turned_into_check_in(check_in_id=check_in_id, actor=actor)

    @event("TurnedIntoCheckIn")
    def _turned_into_check_in(self, check_in_id: str, actor: str) -> None:
        self.check_in_id = check_in_id
        self.status = "checked_in"

    def turn_into_plan(self, *, plan_id: str, actor: str) -> None:
        """Links the development plan started about this alert; the alert is then handled."""
        if self.plan_id == plan_id:
            # Linked already: a retried request (Idempotency-Key) recreating the same plan.
            return
        self.check_open()
        self._turned_into_plan(plan_id=plan_id, actor=actor)

    @event("TurnedIntoPlan")
    def _turned_into_plan(self, plan_id: str, actor: str) -> None:
        self.plan_id = plan_id
        self.status = "planned"

    def dismiss(self, *, reason: str, actor: str) -> None:
        """Closes the alert without a check-in, saying why."""
        self.check_open()
        if not reason.strip():
            raise InvalidValue("a reason is required", field="reason")
        self._dismissed(reason=reason, actor=actor)

    @event("Dismissed")
    def _dismissed(self, reason: str, actor: str) -> None:
        self.status = "dismissed"

    def check_open(self) -> None:
        if self.status != "open":
            raise RuleViolation(f"the alert is already {self.status}", alert_id=str(self.id))


class AlertRules(Aggregate):
    """A team's alert rules, kept as data with every change; without them the defaults apply."""

    @event("Set")
    def __init__(self, *, team_id: str, rules: list[dict[str, Any]], actor: str) -> None:
        check_rules(rules)
        self.team_id = team_id
        self.rules = [dict(r) for r in rules]

    @classmethod
    def create_id(cls, *, team_id: str, **_: Any) -> UUID:
        return alert_rules_id(team_id)

    def replace(self, *, rules: list[dict[str, Any]], actor: str) -> None:
        """Replaces the team's rules."""
        check_rules(rules)
        self._replaced(rules=[dict(r) for r in rules], actor=actor)

    @event("Replaced")
    def _replaced(self, rules: list[dict[str, Any]], actor: str) -> None:
        self.rules = rules


def check_rules(rules: list[dict[str, Any]]) -> None:
    for index, rule in enumerate(rules):
        if rule.get("kind") not in RULE_KINDS:
            raise InvalidValue(
                f"kind must be one of {', '.join(RULE_KINDS)}", field=f"rules[{index}].kind"
            )
