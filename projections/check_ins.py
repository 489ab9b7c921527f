"""Check-in read model: a pure function from a check-in's events to its document."""

from __future__ import annotations

from typing import Any

from aggregates.contract import EventEnvelope

Doc = dict[str, Any]


def feedback_item(item: dict[str, Any]) -> dict[str, Any]:
    """A feedback item under the API's names: appreciation and desired outcome are `outcome`."""
    outcome = item.get("appreciation", item.get("desired_outcome"))
    return {
        "kind": item["kind"],
        "behavior": item["behavior"],
        "impact": item["impact"],
        "outcome": outcome,
    }


def apply_check_in(doc: Doc | None, event: EventEnvelope) -> Doc:
    """The check-in document after this event (doc is None before CheckIn.Recorded)."""
    data = event.data
    if event.type == "CheckIn.Recorded":
        new: Doc = {
            "id": event.id,
            "agent_id": data["agent_id"],
            "team_id": data["team_id"],
            "manager": event.actor,
            "held_at": data["held_at"],
            "notes": data["notes"],
            "goals": data["goals"],
            "feedback": [feedback_item(i) for i in data["feedback"]],
            # n counts from 1: it is the number in /action-items/{n}/complete.
            "action_items": [
                {**item, "n": n, "completed_by": None, "completed_at": None}
                for n, item in enumerate(data["action_items"], start=1)
            ],
            "recorded_at": event.at,
        }
    else:
        if doc is None:
            raise ValueError(f"{event.type} for check-in {event.id} before it was recorded")
        new = dict(doc)
        if event.type == "CheckIn.ActionItemCompleted":
            items = [dict(item) for item in doc["action_items"]]
            items[data["index"]].update(completed_by=event.actor, completed_at=event.at)
            new["action_items"] = items
    new["open_action_items"] = sum(1 for i in new["action_items"] if i["completed_by"] is None)
    new["status"] = "open" if new["open_action_items"] else "done"
    new["version"] = event.version
    new["updated_at"] = event.at
    return new
