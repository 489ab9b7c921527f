"""The Alert aggregate: raised once per finding, then turned into a check-in or dismissed."""

from __future__ import annotations

from datetime import date

import pytest

from aggregates.alert import Alert, AlertRules, alert_id, alert_rules_id
from aggregates.errors import InvalidValue, RuleViolation


def alert() -> Alert:
    return Alert(
        key="deviation:aht_seconds:a1:2026-10-05",
        rule="deviation",
        team_id="t1",
        agent_id="a1",
        kpi="aht_seconds",
        day=date(2026, 10, 5),
        value=600.0,
        threshold=450.0,
        summary="slow",
        details={},
        actor="system:alerts",
    )


def test_an_alert_id_is_derived_from_its_finding() -> None:
    assert alert().id == alert_id("deviation:aht_seconds:a1:2026-10-05") == alert().id


def test_an_alert_turns_into_one_check_in_and_then_refuses_more() -> None:
    raised = alert()
    raised.turn_into_check_in(check_in_id="c1", actor="manager:bob")
    assert (raised.status, raised.check_in_id) == ("checked_in", "c1")
    with pytest.raises(RuleViolation):
        raised.turn_into_check_in(check_in_id="c2", actor="manager:bob")
    with pytest.raises(RuleViolation):
        raised.dismiss(reason="dup", actor="manager:bob")


def test_dismissing_needs_a_reason() -> None:
    raised = alert()
    with pytest.raises(InvalidValue):
        raised.dismiss(reason=" ", actor="manager:bob")
    raised.dismiss(reason="known outage", actor="manager:bob")
    assert raised.status == "dismissed"


def test_team_rules_have_the_team_s_derived_id_and_refuse_unknown_kinds() -> None:
    rules = AlertRules(team_id="t1", rules=[{"kind": "goal_streak", "days": 3}], actor="admin:a")
    assert rules.id == alert_rules_id("t1")
    with pytest.raises(InvalidValue):
        rules.replace(rules=[{"kind": "vibes"}], actor="admin:a")
