"""Alerts in the caller's scope: reads, turning one into a check-in, dismissing, and the team's
rules."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from aggregates.alert import Alert, AlertRules, alert_rules_id
from aggregates.check_in import CheckIn
from engine.alert_rules import SetAlertRules, parse_rules
from engine.alerting import AlertCheckIn, alert_to_check_in, set_alert_rules
from engine.application import PerfLedger
from engine.callers import Principal
from engine.ports import Documents
from engine.scope import Scope
from engine.services.docs import readable, scoped_page


class AlertService:
    """Handles alerts (one load each) and reads them and the rules that raise them."""

    def __init__(self, app: PerfLedger, docs: Documents, scope: Scope) -> None:
        self.app = app
        self.docs = docs
        self.scope = scope

    def _managed(self, who: Principal, alert_id: UUID, version: int | None) -> Alert:
        # The version is compared before the scope, as the alert routes always did.
        alert = self.app.load(Alert, alert_id, version)
        self.scope.check_agent_write(who, alert.agent_id)
        return alert

    def check_in(
        self,
        who: Principal,
        alert_id: UUID,
        body: AlertCheckIn,
        version: int | None,
    ) -> tuple[Alert, CheckIn]:
        """Turns the alert into a coaching check-in held by the caller, in one save."""
        alert = self._managed(who, alert_id, version)
        # The check-in is kept for the agent's team now, which may differ from the alert's; an
        # agent telephony knows and the roster does not keeps the alert's team (admins only).
        known = self.scope.team_now(alert.agent_id) is not None
        team = self.scope.record_team(who, alert.agent_id, None) if known else alert.team_id
        return alert_to_check_in(self.app, alert, body, who.actor, team)

    def dismiss(self, who: Principal, alert_id: UUID, reason: str, version: int | None) -> Alert:
        """Closes the alert without a check-in; the reason is kept."""
        alert = self._managed(who, alert_id, version)
        alert.dismiss(reason=reason, actor=who.actor)
        self.app.save_changes(alert)
        return alert

    def get(self, who: Principal, alert_id: str) -> dict[str, Any]:
        """One alert as the read model holds it."""
        return readable(self.docs, self.scope, who, "Alert", alert_id)

    def page(
        self,
        who: Principal,
        team_id: str | None,
        agent_id: str | None,
        status: str | None,
        limit: int,
        cursor: str | None,
    ) -> list[dict[str, Any]]:
        """Alerts by team, agent and status in the caller's scope, ordered by id."""
        return scoped_page(
            self.docs,
            self.scope,
            who,
            "Alert",
            limit,
            cursor,
            agent_id,
            team_id=team_id,
            status=status,
        )

    def rules(self, who: Principal, team_id: str) -> dict[str, Any]:
        """The team's alert rules in force (the defaults until a manager sets some)."""
        self.scope.check_team_read(who, team_id)
        doc = self.docs.get("AlertRules", str(alert_rules_id(team_id)))
        rules = [rule.model_dump() for rule in parse_rules(doc["rules"] if doc else None)]
        return {
            "team_id": team_id,
            "defaults": doc is None,
            "rules": rules,
            "version": doc["version"] if doc else 0,
        }

    def set_rules(self, who: Principal, team_id: str, body: SetAlertRules) -> AlertRules:
        """Sets the team's alert rules, replacing the previous ones."""
        self.scope.check_team_write(who, team_id)
        return set_alert_rules(self.app, team_id, body, who.actor)
