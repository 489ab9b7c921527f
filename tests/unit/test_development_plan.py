"""DevelopmentPlan: the rules of starting, changing and closing a plan."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from aggregates.development_plan import DevelopmentPlan
from aggregates.errors import InvalidValue, RuleViolation
from aggregates.ids import derived_ids

MANAGER = "manager:bob"
AGENT = "agent:agent-1"
START, END = date(2026, 10, 1), date(2026, 12, 31)


def objective(**changes: Any) -> dict[str, Any]:
    return {
        "title": "Handle time under five minutes",
        "goal_id": None,
        "kpi": "aht_seconds",
        "target": 300,
        "direction": "at_most",
        **changes,
    }


def action(**changes: Any) -> dict[str, Any]:
    return {
        "kind": "shadowing",
        "description": "Shadow a senior",
        "owner_id": "agent-1",
        "due": date(2026, 10, 20),
        **changes,
    }


def plan(**changes: Any) -> DevelopmentPlan:
    fields: dict[str, Any] = {
        "agent_id": "agent-1",
        "team_id": "team-a",
        "period_start": START,
        "period_end": END,
        "objectives": [objective()],
        "actions": [action(), action(owner_id="bob", kind="coaching_session")],
        "origin": {"kind": "manual", "id": None},
        "actor": MANAGER,
        **changes,
    }
    return DevelopmentPlan(**fields)


def closed() -> DevelopmentPlan:
    p = plan()
    p.close(outcome="achieved", summary="Done well", actor=MANAGER)
    return p


def test_a_started_plan_is_open_with_its_actions_open() -> None:
    p = plan()
    assert p.status == "open" and p.manager == MANAGER
    assert [a["status"] for a in p.actions] == ["open", "open"]
    assert p.pending_events[0].__class__.__name__ == "Started"


def test_a_plan_starts_with_at_least_one_objective() -> None:
    with pytest.raises(InvalidValue) as refused:
        plan(objectives=[])
    assert refused.value.field == "objectives"


@pytest.mark.parametrize(
    ("start", "end"),
    [(END, START), (START, START), (START, START + timedelta(days=367))],
    ids=["reversed", "empty", "longer than a year"],
)
def test_the_period_is_non_empty_and_at_most_a_year(start: date, end: date) -> None:
    with pytest.raises(InvalidValue) as refused:
        plan(period_start=start, period_end=end, actions=[])
    assert refused.value.field == "period_end"


@pytest.mark.parametrize("due", [START - timedelta(days=1), END + timedelta(days=1)])
def test_a_due_date_outside_the_period_is_refused_at_start(due: date) -> None:
    with pytest.raises(InvalidValue) as refused:
        plan(actions=[action(due=due)])
    assert refused.value.field == "actions[0].due"


def test_a_due_date_outside_the_period_is_refused_when_added() -> None:
    p = plan()
    with pytest.raises(InvalidValue) as refused:
        p.add_action(action=action(due=END + timedelta(days=1)), actor=MANAGER)
    assert refused.value.field == "action.due"
    p.add_action(action=action(due=END), actor=MANAGER)
    assert len(p.actions) == 3


def test_a_due_time_is_not_a_due_date() -> None:
    with pytest.raises(InvalidValue):
        plan(actions=[action(due=datetime(2026, 10, 2, 10))])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "knitting"}, "actions[0].kind"),
        ({"description": "  "}, "actions[0].description"),
        ({"owner_id": ""}, "actions[0].owner_id"),
        ({"extra": 1}, "actions[0].extra"),
    ],
)
def test_an_invalid_action_is_refused(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        plan(actions=[action(**change)])
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "objectives[0].title"),
        ({"kpi": "vibes"}, "objectives[0].kpi"),
        ({"target": None, "direction": None}, "objectives[0].target"),
        ({"direction": "sideways"}, "objectives[0].direction"),
        ({"direction": None}, "objectives[0].direction"),
        ({"goal_id": "g-1"}, "objectives[0]"),
    ],
)
def test_an_invalid_objective_is_refused(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        plan(objectives=[objective(**change)])
    assert refused.value.field == field


def test_an_objective_may_stand_alone_or_tie_to_a_goal() -> None:
    p = plan(
        objectives=[
            objective(kpi=None, target=None, direction=None),
            objective(kpi=None, goal_id="g-1"),
        ]
    )
    assert len(p.objectives) == 2


def test_too_many_objectives_or_actions_are_refused() -> None:
    with pytest.raises(InvalidValue):
        plan(objectives=[objective()] * 21)
    with pytest.raises(InvalidValue):
        plan(actions=[action()] * 101)


@pytest.mark.parametrize(
    "origin",
    [{"kind": "rumour", "id": "x"}, {"kind": "alert", "id": None}, {"kind": "manual", "id": "x"}],
)
def test_the_origin_names_a_kind_and_its_id(origin: dict[str, Any]) -> None:
    with pytest.raises(InvalidValue):
        plan(origin=origin)


def test_nobody_starts_their_own_plan() -> None:
    with pytest.raises(RuleViolation):
        plan(actor=AGENT)


def test_completing_an_action_keeps_status_before_and_after_with_the_actor() -> None:
    p = plan()
    p.complete_action(index=0, note="learned a lot", actor=AGENT)
    completed = p.pending_events[-1]
    assert completed.__class__.__name__ == "ActionCompleted"
    assert (completed.before, completed.after, completed.actor) == ("open", "done", AGENT)  # type: ignore[attr-defined]
    assert p.actions[0]["status"] == "done" and p.actions[0]["note"] == "learned a lot"


def test_an_action_moves_only_from_open() -> None:
    p = plan()
    p.complete_action(index=0, note="", actor=MANAGER)
    p.cancel_action(index=1, reason="course withdrawn", actor=MANAGER)
    with pytest.raises(RuleViolation):
        p.complete_action(index=0, note="again", actor=MANAGER)
    with pytest.raises(RuleViolation):
        p.cancel_action(index=0, reason="undo", actor=MANAGER)
    with pytest.raises(RuleViolation):
        p.complete_action(index=1, note="after all", actor=MANAGER)
    assert [a["status"] for a in p.actions] == ["done", "cancelled"]


def test_a_cancelled_action_keeps_its_reason_and_needs_one() -> None:
    p = plan()
    with pytest.raises(InvalidValue):
        p.cancel_action(index=0, reason=" ", actor=MANAGER)
    p.cancel_action(index=0, reason="course withdrawn", actor=MANAGER)
    cancelled = p.pending_events[-1]
    assert cancelled.before == "open" and cancelled.after == "cancelled"  # type: ignore[attr-defined]


@pytest.mark.parametrize("index", [-1, 2, True])
def test_an_unknown_action_is_refused(index: int) -> None:
    with pytest.raises(InvalidValue) as refused:
        plan().complete_action(index=index, note="", actor=MANAGER)
    assert refused.value.field == "index"


def test_the_agent_completes_only_the_actions_they_own() -> None:
    p = plan()
    with pytest.raises(RuleViolation):
        p.complete_action(index=1, note="", actor=AGENT)
    p.complete_action(index=0, note="done", actor=AGENT)


def test_the_agent_does_not_steer_their_own_plan() -> None:
    p = plan()
    with pytest.raises(RuleViolation):
        p.add_action(action=action(), actor=AGENT)
    with pytest.raises(RuleViolation):
        p.add_objective(objective=objective(), actor=AGENT)
    with pytest.raises(RuleViolation):
        p.cancel_action(index=0, reason="no", actor=AGENT)
    with pytest.raises(RuleViolation):
        p.close(outcome="achieved", summary="me", actor=AGENT)


def test_the_agent_notes_progress_on_their_plan() -> None:
    p = plan()
    p.note_progress(text="Calmer on escalations", check_in_id=None, actor=AGENT)
    p.note_progress(text="Discussed in the 1:1", check_in_id="c-1", actor=MANAGER)
    assert [n["check_in_id"] for n in p.notes] == [None, "c-1"]
    with pytest.raises(InvalidValue):
        p.note_progress(text="", check_in_id=None, actor=MANAGER)


def test_nothing_changes_after_closing() -> None:
    p = closed()
    attempts: list[Callable[[], None]] = [
        lambda: p.add_action(action=action(), actor=MANAGER),
        lambda: p.add_objective(objective=objective(), actor=MANAGER),
        lambda: p.complete_action(index=0, note="", actor=MANAGER),
        lambda: p.cancel_action(index=0, reason="late", actor=MANAGER),
        lambda: p.note_progress(text="late", check_in_id=None, actor=MANAGER),
        lambda: p.close(outcome="achieved", summary="again", actor=MANAGER),
    ]
    for attempt in attempts:
        with pytest.raises(RuleViolation) as refused:
            attempt()
        assert refused.value.ids == {"plan_id": str(p.id)}
    assert p.version == 2


def test_closing_needs_a_known_outcome_and_a_summary() -> None:
    p = plan()
    with pytest.raises(InvalidValue) as refused:
        p.close(outcome="great", summary="s", actor=MANAGER)
    assert refused.value.field == "outcome"
    with pytest.raises(InvalidValue) as refused:
        p.close(outcome="not_achieved", summary="", actor=MANAGER)
    assert refused.value.field == "summary"
    p.close(outcome="not_achieved", summary="Handle time unchanged", actor=MANAGER)
    assert p.status == "closed" and p.outcome == "not_achieved"


def test_a_plan_created_twice_under_one_seed_gets_the_same_id() -> None:
    with derived_ids("manager:bob|key-1"):
        first = plan()
    with derived_ids("manager:bob|key-1"):
        second = plan()
    assert first.id == second.id != plan().id
