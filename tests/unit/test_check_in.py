"""CheckIn: recording a 1:1 and completing its action items."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from aggregates.check_in import CheckIn
from aggregates.errors import InvalidValue, RuleViolation
from engine.application import PerfLedger

HELD_AT = datetime(2025, 3, 4, 10, 30, tzinfo=timezone(timedelta(hours=1)))


def goal_snapshot(**changes: Any) -> dict[str, Any]:
    return {
        "goal_id": "g-1",
        "title": "AHT under 5 minutes",
        "target": 300,
        "direction": "at_most",
        "latest_value": 320.0,
        "attainment": 0.9375,
        **changes,
    }


def positive(**changes: Any) -> dict[str, Any]:
    return {
        "kind": "positive",
        "behavior": "Calm on an escalated call",
        "impact": "Customer stayed",
        "appreciation": "Thank you",
        **changes,
    }


def constructive(**changes: Any) -> dict[str, Any]:
    return {
        "kind": "constructive",
        "behavior": "Long holds while searching",
        "impact": "AHT above target",
        "desired_outcome": "Use the knowledge base",
        **changes,
    }


def action_item(**changes: Any) -> dict[str, Any]:
    return {
        "description": "Shadow a senior agent",
        "owner_id": "agent-7",
        "due": date(2025, 3, 18),
        **changes,
    }


def check_in(**changes: Any) -> CheckIn:
    fields: dict[str, Any] = {
        "agent_id": "agent-7",
        "team_id": "team-a",
        "held_at": HELD_AT,
        "notes": "Good week overall.",
        "goals": [goal_snapshot()],
        "feedback": [positive(), constructive()],
        "action_items": [action_item(), action_item(description="Review two calls")],
        "actor": "manager-1",
    }
    return CheckIn(**{**fields, **changes})


def refused_field(**changes: Any) -> str:
    with pytest.raises(InvalidValue) as error:
        check_in(**changes)
    return error.value.field


# --- recording ---------------------------------------------------------------------


def test_records_the_manager_as_the_actor_and_keeps_the_conversation() -> None:
    meeting = check_in()
    assert meeting.manager == "manager-1"
    assert meeting.agent_id == "agent-7"
    assert meeting.held_at == HELD_AT
    assert meeting.goals == [goal_snapshot()]
    assert [item["kind"] for item in meeting.feedback] == ["positive", "constructive"]
    assert len(meeting.open_action_items) == 2


def test_a_manager_cannot_hold_a_check_in_with_themselves() -> None:
    with pytest.raises(RuleViolation):
        check_in(actor="agent-7")


def test_agent_and_team_must_not_be_blank() -> None:
    assert refused_field(agent_id=" ") == "agent_id"
    assert refused_field(team_id="") == "team_id"


def test_held_at_must_carry_a_utc_offset() -> None:
    assert refused_field(held_at=datetime(2025, 3, 4, 10, 30)) == "held_at"
    assert refused_field(held_at=date(2025, 3, 4)) == "held_at"


def test_notes_must_be_text() -> None:
    assert refused_field(notes=None) == "notes"


# --- goal snapshots ----------------------------------------------------------------


def test_a_goal_snapshot_may_have_no_progress_yet() -> None:
    snapshot = goal_snapshot(latest_value=None, attainment=None)
    assert check_in(goals=[snapshot]).goals == [snapshot]


def test_a_goal_snapshot_needs_every_field() -> None:
    snapshot = goal_snapshot()
    del snapshot["attainment"]
    assert refused_field(goals=[snapshot]) == "goals[0].attainment"


def test_a_goal_snapshot_refuses_unknown_fields() -> None:
    assert refused_field(goals=[goal_snapshot(mood="good")]) == "goals[0].mood"


def test_a_goal_snapshot_needs_a_known_direction() -> None:
    assert refused_field(goals=[goal_snapshot(direction="up")]) == "goals[0].direction"


def test_a_goal_snapshot_needs_numbers_for_target_and_value() -> None:
    assert refused_field(goals=[goal_snapshot(target="300")]) == "goals[0].target"
    assert refused_field(goals=[goal_snapshot(latest_value="x")]) == "goals[0].latest_value"


def test_a_goal_snapshot_refuses_negative_attainment() -> None:
    assert refused_field(goals=[goal_snapshot(attainment=-0.1)]) == "goals[0].attainment"


def test_a_goal_snapshot_needs_a_goal_id_and_a_title() -> None:
    assert refused_field(goals=[goal_snapshot(goal_id=" ")]) == "goals[0].goal_id"
    assert refused_field(goals=[goal_snapshot(title="")]) == "goals[0].title"


def test_goals_feedback_and_action_items_must_be_lists() -> None:
    assert refused_field(goals=goal_snapshot()) == "goals"
    assert refused_field(feedback=positive()) == "feedback"
    assert refused_field(action_items=None) == "action_items"


def test_a_goal_snapshot_must_be_an_object() -> None:
    assert refused_field(goals=[list(goal_snapshot())]) == "goals[0]"


def test_a_goal_is_discussed_once_per_check_in() -> None:
    assert refused_field(goals=[goal_snapshot(), goal_snapshot()]) == "goals"


# --- feedback ------------------------------------------------------------------------


def test_positive_feedback_needs_an_appreciation() -> None:
    item = positive()
    del item["appreciation"]
    assert refused_field(feedback=[item]) == "feedback[0].appreciation"


def test_constructive_feedback_needs_a_desired_outcome() -> None:
    item = constructive()
    del item["desired_outcome"]
    assert refused_field(feedback=[item]) == "feedback[0].desired_outcome"


def test_positive_feedback_refuses_the_constructive_fields() -> None:
    item = positive(desired_outcome="More of this")
    assert refused_field(feedback=[item]) == "feedback[0].desired_outcome"


def test_constructive_feedback_refuses_an_appreciation() -> None:
    item = constructive(appreciation="Thanks")
    assert refused_field(feedback=[item]) == "feedback[0].appreciation"


def test_feedback_needs_a_known_kind() -> None:
    assert refused_field(feedback=[positive(kind="neutral")]) == "feedback[0].kind"


def test_feedback_fields_must_not_be_blank() -> None:
    assert refused_field(feedback=[constructive(), positive(behavior=" ")]) == (
        "feedback[1].behavior"
    )


# --- action items -------------------------------------------------------------------


def test_an_action_item_needs_an_owner() -> None:
    assert refused_field(action_items=[action_item(owner_id="")]) == "action_items[0].owner_id"


def test_an_action_item_has_exactly_its_fields() -> None:
    item = action_item()
    del item["due"]
    assert refused_field(action_items=[item]) == "action_items[0].due"
    assert refused_field(action_items=[action_item(priority="high")]) == (
        "action_items[0].priority"
    )


def test_an_action_item_needs_a_description() -> None:
    assert refused_field(action_items=[action_item(description=" ")]) == (
        "action_items[0].description"
    )


def test_an_action_item_due_date_is_a_calendar_day() -> None:
    due = datetime(2025, 3, 18, 9, tzinfo=UTC)
    assert refused_field(action_items=[action_item(due=due)]) == "action_items[0].due"
    assert refused_field(action_items=[action_item(due="2025-03-18")]) == "action_items[0].due"


def test_an_action_item_cannot_be_due_before_the_check_in() -> None:
    due = date(2025, 3, 3)
    assert refused_field(action_items=[action_item(due=due)]) == "action_items[0].due"


def test_an_action_item_may_be_due_on_the_day_of_the_check_in() -> None:
    meeting = check_in(action_items=[action_item(due=HELD_AT.date())])
    assert meeting.action_items[0]["due"] == HELD_AT.date()


def test_completing_an_action_item_records_who_and_when() -> None:
    meeting = check_in()
    meeting.complete_action_item(index=1, actor="agent-7")
    completed = meeting.collect_events()[-1]
    assert meeting.action_items[1]["completed_by"] == "agent-7"
    assert meeting.action_items[1]["completed_at"] == completed.timestamp
    assert [item["description"] for item in meeting.open_action_items] == ["Shadow a senior agent"]


def test_completing_an_action_item_twice_is_refused() -> None:
    meeting = check_in()
    meeting.complete_action_item(index=0, actor="agent-7")
    with pytest.raises(RuleViolation):
        meeting.complete_action_item(index=0, actor="manager-1")
    assert meeting.action_items[0]["completed_by"] == "agent-7"


@pytest.mark.parametrize("index", [2, -1, True, "0"])
def test_completing_an_unknown_action_item_is_refused(index: Any) -> None:
    with pytest.raises(InvalidValue) as error:
        check_in().complete_action_item(index=index, actor="agent-7")
    assert error.value.field == "index"


# --- events --------------------------------------------------------------------------


def test_events_are_named_in_the_past_tense_and_carry_the_actor() -> None:
    meeting = check_in()
    meeting.complete_action_item(index=0, actor="agent-7")
    events = meeting.collect_events()
    assert [type(e).__name__ for e in events] == ["Recorded", "ActionItemCompleted"]
    assert [vars(e)["actor"] for e in events] == ["manager-1", "agent-7"]


def in_memory_store() -> PerfLedger:
    """The real application on in-memory persistence, snapshots on: no I/O."""
    return PerfLedger(
        env={"PERSISTENCE_MODULE": "eventsourcing.popo", "IS_SNAPSHOTTING_ENABLED": "y"}
    )


def test_a_stored_check_in_replays_and_snapshots_to_the_same_state() -> None:
    meeting = check_in()
    meeting.complete_action_item(index=0, actor="agent-7")
    store = in_memory_store()
    store.save(meeting)
    assert store.repository.get(meeting.id) == meeting
    store.take_snapshot(meeting.id)
    assert store.repository.get(meeting.id) == meeting
