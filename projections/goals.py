"""Goal read model: a pure function from the goal's events to its document, and team roll-ups."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aggregates.scoring import attainment
from engine.envelope import EventEnvelope

Doc = dict[str, Any]
SET_FIELDS = (
    "agent_id", "team_id", "title", "description", "kpi", "target", "direction",
    "period_start", "period_end", "weight",
)
TEMPLATE_FIELDS = (*SET_FIELDS[1:],)


def apply_goal(doc: Doc | None, event: EventEnvelope) -> Doc:
    """The goal document after this event (doc is None before Goal.Set)."""
    data = event.data
    if event.type == "Goal.Set":
        new: Doc = {"id": event.id, **{f: data[f] for f in SET_FIELDS}}
        new.update(status="draft" if data.get("draft") else "active", set_by=event.actor, set_at=event.at, revisions=[],
                   cancel_reason=None, latest_progress=None, attainment=None,
                   template_id=data.get("template_id"), progress_count=0, closed=None)
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
        elif event.type == "Goal.Activated":
            new["status"] = "active"
        elif event.type == "Goal.Cancelled":
            new["status"] = "cancelled"
            new["cancel_reason"] = data["reason"]
        elif event.type == "Goal.ProgressRecorded":
            new["latest_progress"] = {
                "value": data["after"], "before": data["before"], "as_of": data["as_of"],
                "source": data["source"], "note": data["note"], "actor": event.actor, "at": event.at,
            }
            new["progress_count"] = doc.get("progress_count", 0) + 1
        elif event.type == "Goal.Closed":
            new["status"] = data["outcome"]
            new["closed"] = {k: data[k] for k in ("outcome", "value", "attainment", "target", "as_of")}
            new["closed"].update(actor=event.actor, at=event.at)
    progress = new.get("latest_progress")
    new["attainment"] = attainment(new["target"], new["direction"],
                                   None if progress is None else progress["value"])
    new["version"] = event.version
    new["updated_at"] = event.at
    return new


def apply_goal_template(doc: Doc | None, event: EventEnvelope) -> Doc:
    """The goal-template document: its goal fields and which agent got which goal."""
    data = event.data
    if event.type == "GoalTemplate.Created":
        new: Doc = {"id": event.id, **{f: data[f] for f in TEMPLATE_FIELDS}}
        new.update(created_by=event.actor, created_at=event.at, assignments={})
    else:
        if doc is None:
            raise ValueError(f"{event.type} for template {event.id} before it was created")
        new = dict(doc)
        if event.type == "GoalTemplate.Assigned":
            new["assignments"] = {**doc["assignments"], **data["goals"]}
    new["version"] = event.version
    new["updated_at"] = event.at
    return new


def roll_up(goals: Iterable[Doc]) -> dict[str, Any]:
    """A team's goals rolled up: attainment weighted by goal weight, counts by status.

    Cancelled goals are left out; so are goals without a measured attainment from the
    weighted mean (but they count in ``goals`` and ``by_status``).
    """
    by_status: dict[str, int] = {}
    weighted = weights = 0.0
    count = measured = 0
    for goal in goals:
        by_status[goal["status"]] = by_status.get(goal["status"], 0) + 1
        if goal["status"] == "cancelled":
            continue
        count += 1
        if goal.get("attainment") is not None:
            measured += 1
            weighted += goal["attainment"] * goal["weight"]
            weights += goal["weight"]
    return {"goals": count, "measured": measured, "by_status": by_status,
            "attainment": weighted / weights if weights else None}
