"""Goal read model: a pure function from the goal's events to its document."""

from __future__ import annotations

from typing import Any

from engine.envelope import EventEnvelope

Doc = dict[str, Any]

SET_FIELDS = (
    "agent_id", "team_id", "title", "description", "kpi", "target", "direction",
    "period_start", "period_end", "weight",
)


def apply_goal(doc: Doc | None, event: EventEnvelope) -> Doc:
    """The goal document after this event (doc is None before Goal.Set)."""
    data = event.data
    if event.type == "Goal.Set":
        new: Doc = {"id": event.id, **{f: data[f] for f in SET_FIELDS}}
        new.update(status="active", set_by=event.actor, set_at=event.at, revisions=[],
                   cancel_reason=None, latest_progress=None, attainment=None)
    else:
        if doc is None:
            raise ValueError(f"{event.type} for goal {event.id} before Goal.Set")
        new = dict(doc)
        if event.type == "Goal.TargetRevised":
            new["target"] = data["after"]
            new["revisions"] = [*doc["revisions"], {
                "before": data["before"], "after": data["after"], "reason": data["reason"],
                "actor": event.actor, "at": event.at,
            }]
        elif event.type == "Goal.Cancelled":
            new["status"] = "cancelled"
            new["cancel_reason"] = data["reason"]
    new["version"] = event.version
    new["updated_at"] = event.at
    return new
