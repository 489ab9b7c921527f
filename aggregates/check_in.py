"""CheckIn: a 1:1 between a manager and an agent, with feedback and action items."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from aggregates.actors import person
from aggregates.errors import InvalidValue, RuleViolation
from aggregates.ids import new_id
from aggregates.scoring import DIRECTIONS, is_number

GOAL_SNAPSHOT_KEYS = ("goal_id", "title", "target", "direction", "latest_value", "attainment")
FEEDBACK_FIELDS = {
    "positive": ("behavior", "impact", "appreciation"),
    "constructive": ("behavior", "impact", "desired_outcome"),
}
ACTION_ITEM_KEYS = ("description", "owner_id", "due")


class CheckIn(Aggregate):
    """A coaching conversation: notes, goals discussed, feedback, action items."""

    # Random, or derived from an Idempotency-Key so that a retried create is stored once.
    create_id = staticmethod(new_id)

    @event("Recorded")
    def __init__(
        self,
        *,
        agent_id: str,
        team_id: str,
        held_at: datetime,
        notes: str,
        goals: list[dict[str, Any]],
        feedback: list[dict[str, Any]],
        action_items: list[dict[str, Any]],
        actor: str,
    ) -> None:
        check_participants(agent_id, team_id, actor)
        check_held_at(held_at)
        check_notes(notes)
        check_goal_snapshots(goals)
        check_feedback_items(feedback)
        check_action_items(action_items, held_at)
        self.agent_id = agent_id
        self.team_id = team_id
        self.manager = actor
        self.held_at = held_at
        self.notes = notes
        self.goals = [dict(goal) for goal in goals]
        self.feedback = [dict(item) for item in feedback]
        self.action_items = [
            {**item, "completed_by": None, "completed_at": None} for item in action_items
        ]

    def complete_action_item(self, *, index: int, actor: str) -> None:
        """Marks the action item at ``index`` (0-based) done, recording who and when."""
        self.check_action_item_index(index)
        self.check_not_completed(index)
        self._action_item_completed(index=index, actor=actor)

    # The event's own timestamp is passed in as the completion time; it is
    # positional-or-keyword because eventsourcing requires every keyword-only
    # parameter of a decorated method, and None lets the event supply it.
    @event("ActionItemCompleted")
    def _action_item_completed(
        self, index: int, actor: str, timestamp: datetime | None = None
    ) -> None:
        item = self.action_items[index]
        item["completed_by"] = actor
        item["completed_at"] = timestamp

    @property
    def open_action_items(self) -> list[dict[str, Any]]:
        """The action items not yet completed."""
        return [item for item in self.action_items if item["completed_by"] is None]

    def check_action_item_index(self, index: int) -> None:
        if type(index) is not int or not 0 <= index < len(self.action_items):
            raise InvalidValue(
                f"no action item {index!r} on this check-in",
                field="index",
                check_in_id=str(self.id),
            )

    def check_not_completed(self, index: int) -> None:
        item = self.action_items[index]
        if item["completed_by"] is not None:
            raise RuleViolation(
                f"action item {index} was already completed by {item['completed_by']}",
                check_in_id=str(self.id),
                index=index,
            )


def check_participants(agent_id: str, team_id: str, manager: str) -> None:
    check_text(agent_id, "agent_id")
    check_text(team_id, "team_id")
    if person(manager) == agent_id:
        raise RuleViolation(
            "a check-in is held by a manager with another person", agent_id=agent_id
        )


def check_held_at(held_at: datetime) -> None:
    # A naive time is ambiguous across the contact centre's time zones.
    if not isinstance(held_at, datetime) or held_at.utcoffset() is None:
        raise InvalidValue("held_at must be a date-time with a UTC offset", field="held_at")


def check_notes(notes: str) -> None:
    if not isinstance(notes, str):
        raise InvalidValue("notes must be text", field="notes")


def check_goal_snapshots(goals: list[dict[str, Any]]) -> None:
    check_list(goals, "goals")
    for index, goal in enumerate(goals):
        check_goal_snapshot(goal, f"goals[{index}]")
    ids = [goal["goal_id"] for goal in goals]
    if len(set(ids)) != len(ids):
        raise InvalidValue("a goal is listed twice", field="goals")


def check_goal_snapshot(goal: dict[str, Any], field: str) -> None:
    check_keys(goal, GOAL_SNAPSHOT_KEYS, field)
    check_text(goal["goal_id"], f"{field}.goal_id")
    check_text(goal["title"], f"{field}.title")
    if not is_number(goal["target"]):
        raise InvalidValue("target must be a number", field=f"{field}.target")
    if goal["direction"] not in DIRECTIONS:
        raise InvalidValue(f"direction must be one of {DIRECTIONS}", field=f"{field}.direction")
    if goal["latest_value"] is not None and not is_number(goal["latest_value"]):
        raise InvalidValue("latest_value must be a number or null", field=f"{field}.latest_value")
    check_snapshot_attainment(goal["attainment"], f"{field}.attainment")


def check_snapshot_attainment(value: object, field: str) -> None:
    if value is not None and (not is_number(value) or value < 0):
        raise InvalidValue("attainment must be a number >= 0 or null", field=field)


def check_feedback_items(feedback: list[dict[str, Any]]) -> None:
    check_list(feedback, "feedback")
    for index, item in enumerate(feedback):
        check_feedback_item(item, f"feedback[{index}]")


def check_feedback_item(item: dict[str, Any], field: str) -> None:
    if not isinstance(item, dict) or item.get("kind") not in FEEDBACK_FIELDS:
        raise InvalidValue(f"kind must be one of {tuple(FEEDBACK_FIELDS)}", field=f"{field}.kind")
    # Each kind has its own required fields: a constructive item needs the outcome
    # wanted, a positive one the appreciation; mixing them is refused.
    fields = FEEDBACK_FIELDS[item["kind"]]
    check_keys(item, ("kind", *fields), field)
    for name in fields:
        check_text(item[name], f"{field}.{name}")


def check_action_items(items: list[dict[str, Any]], held_at: datetime) -> None:
    check_list(items, "action_items")
    for index, item in enumerate(items):
        check_action_item(item, held_at, f"action_items[{index}]")


def check_action_item(item: dict[str, Any], held_at: datetime, field: str) -> None:
    check_keys(item, ACTION_ITEM_KEYS, field)
    check_text(item["description"], f"{field}.description")
    check_text(item["owner_id"], f"{field}.owner_id")
    due = item["due"]
    # datetime is a date subclass; a due date is a calendar day.
    if not isinstance(due, date) or isinstance(due, datetime):
        raise InvalidValue("due must be a date", field=f"{field}.due")
    if due < held_at.date():
        raise InvalidValue("due must not be before the check-in", field=f"{field}.due")


def check_list(value: object, field: str) -> None:
    if not isinstance(value, list):
        raise InvalidValue("must be a list", field=field)


def check_keys(item: object, keys: tuple[str, ...], field: str) -> None:
    if not isinstance(item, dict):
        raise InvalidValue("must be an object", field=field)
    missing = [key for key in keys if key not in item]
    if missing:
        raise InvalidValue(f"missing {', '.join(missing)}", field=f"{field}.{missing[0]}")
    unknown = sorted(set(item) - set(keys))
    if unknown:
        raise InvalidValue(f"unexpected {', '.join(unknown)}", field=f"{field}.{unknown[0]}")


def check_text(value: object, field: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue("must not be blank", field=field)
