"""Development plan read model: a pure function from a plan's events to its document."""

from __future__ import annotations

from typing import Any

from aggregates.contract import EventEnvelope

Doc = dict[str, Any]


def numbered_action(n: int, action: dict[str, Any]) -> dict[str, Any]:
    """An action as the read model shows it; n counts from 1, as in /actions/{n}/complete."""
    return {**action, "n": n, "status": "open", "note": None, "done_by": None, "done_at": None}


def apply_development_plan(doc: Doc | None, event: EventEnvelope) -> Doc:
    """The plan document after this event (doc is None before DevelopmentPlan.Started)."""
    data = event.data
    if event.type == "DevelopmentPlan.Started":
        new: Doc = {
            "id": event.id,
            "agent_id": data["agent_id"],
            "team_id": data["team_id"],
            "manager": event.actor,
            "period_start": data["period_start"],
            "period_end": data["period_end"],
            "origin": data["origin"],
            "objectives": list(data["objectives"]),
            "actions": [numbered_action(n, a) for n, a in enumerate(data["actions"], start=1)],
            "notes": [],
            "status": "open",
            "outcome": None,
            "summary": None,
            "closed_by": None,
            "closed_at": None,
            "started_at": event.at,
        }
    else:
        if doc is None:
            raise ValueError(f"{event.type} for plan {event.id} before it was started")
        new = changed(doc, event)
    new["open_actions"] = sum(1 for a in new["actions"] if a["status"] == "open")
    new["version"] = event.version
    new["updated_at"] = event.at
    return new


def changed(doc: Doc, event: EventEnvelope) -> Doc:
    """A started plan's document after a later event."""
    data = event.data
    new = dict(doc)
    kind = event.type.removeprefix("DevelopmentPlan.")
    if kind == "ObjectiveAdded":
        new["objectives"] = [*doc["objectives"], data["objective"]]
    elif kind == "ActionAdded":
        actions = doc["actions"]
        new["actions"] = [*actions, numbered_action(len(actions) + 1, data["action"])]
    elif kind in ("ActionCompleted", "ActionCancelled"):
        actions = [dict(a) for a in doc["actions"]]
        note = data["note"] if kind == "ActionCompleted" else data["reason"]
        actions[data["index"]].update(
            status=data["after"], note=note, done_by=event.actor, done_at=event.at
        )
        new["actions"] = actions
    elif kind == "ProgressNoted":
        note = {
            "text": data["text"],
            "check_in_id": data["check_in_id"],
            "actor": event.actor,
            "at": event.at,
        }
        new["notes"] = [*doc["notes"], note]
    elif kind == "Closed":
        new.update(
            status="closed",
            outcome=data["outcome"],
            summary=data["summary"],
            closed_by=event.actor,
            closed_at=event.at,
        )
    return new
