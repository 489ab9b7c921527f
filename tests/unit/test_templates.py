"""Goal templates, review templates (scoring policies as data) and actors as persons."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from aggregates.actors import person
from aggregates.errors import InvalidValue, RuleViolation
from aggregates.templates import GoalTemplate, ReviewTemplate, review_template_id
from tests.unit.test_review import review


def goal_template(**changes: Any) -> GoalTemplate:
    fields: dict[str, Any] = {
        "team_id": "team-a",
        "title": "CSAT",
        "description": "",
        "kpi": "csat_avg",
        "target": 4.5,
        "direction": "at_least",
        "period_start": date(2026, 10, 1),
        "period_end": date(2026, 12, 31),
        "weight": 1.0,
        "actor": "manager:bob",
    }
    return GoalTemplate(**{**fields, **changes})


def policy(**changes: Any) -> ReviewTemplate:
    fields: dict[str, Any] = {
        "policy_id": "agents",
        "name": "Agents",
        "criteria": ["quality"],
        "goal_weight": 0.6,
        "actor": "admin:alice",
    }
    return ReviewTemplate(**{**fields, **changes})


def test_a_goal_template_refuses_invalid_goal_fields() -> None:
    with pytest.raises(InvalidValue) as error:
        goal_template(weight=0)
    assert error.value.field == "weight"


def test_a_template_is_assigned_to_an_agent_only_once() -> None:
    template = goal_template()
    template.assign(goals={"a1": "g1", "a2": "g2"}, actor="manager:bob")
    with pytest.raises(RuleViolation) as error:
        template.assign(goals={"a3": "g3", "a2": "g4"}, actor="manager:bob")
    assert error.value.ids["agent_ids"] == ["a2"]
    assert template.assignments == {"a1": "g1", "a2": "g2"}


def test_assigning_to_nobody_is_refused() -> None:
    with pytest.raises(InvalidValue):
        goal_template().assign(goals={}, actor="manager:bob")


def test_a_review_template_is_found_by_its_policy_id() -> None:
    assert policy().id == review_template_id("agents") != review_template_id("other")


def test_a_new_policy_version_keeps_the_old_one() -> None:
    template = policy()
    template.revise(criteria=["quality", "teamwork"], goal_weight=0.5, actor="admin:alice")
    assert template.policy()["version"] == 2 and template.policy()["criteria"] == [
        "quality",
        "teamwork",
    ]
    assert template.policy(1) == {
        "policy_id": "agents",
        "version": 1,
        "criteria": ["quality"],
        "goal_weight": 0.6,
    }


def test_a_policy_version_that_changes_nothing_is_refused() -> None:
    with pytest.raises(RuleViolation):
        policy().revise(criteria=["quality"], goal_weight=0.6, actor="admin:alice")


def test_an_unknown_policy_version_is_invalid() -> None:
    with pytest.raises(InvalidValue) as error:
        policy().policy(3)
    assert error.value.field == "policy_version"


def test_a_policy_refuses_an_invalid_goal_weight() -> None:
    with pytest.raises(InvalidValue):
        policy(goal_weight=1.5)


def test_an_actor_is_the_person_whatever_the_role() -> None:
    assert person("manager:bob") == person("bob") == "bob"


def test_the_agent_cannot_score_their_own_review_under_another_role() -> None:
    subject = review()
    with pytest.raises(RuleViolation):
        subject.score(criterion="quality", score=5, rationale="me", actor="admin:agent-7")


def test_only_the_agent_acknowledges_whatever_role_their_token_has() -> None:
    subject = review()
    for name in ("quality", "teamwork"):
        subject.score(criterion=name, score=3, rationale="ok", actor="manager:manager-1")
    subject.finalise(
        goal_results=[{"goal_id": g, "attainment": 1.0, "weight": 1.0} for g in ("g-1", "g-2")],
        actor="manager:manager-1",
    )
    subject.acknowledge(actor="agent:agent-7")
    assert subject.acknowledged_by == "agent:agent-7"
