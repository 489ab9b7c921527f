"""Goal read model: a pure function from the goal's events to its document, and team roll-ups."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from aggregates.contract import EventEnvelope
from aggregates.scoring import attainment, scored_attainment

Doc = dict[str, Any]
SET_FIELDS = (
    "agent_id",
    "team_id",
    "title",
    "description",
    "kpi",
    "target",
    "direction",
    "period_start",
    "period_end",
    "weight",
)
TEMPLATE_FIELDS = (*SET_FIELDS[1:],)


def apply_goal(doc: Doc | None, event: EventEnvelope) -> Doc:
    """The goal document after this event (doc is None before Goal.Set)."""
    data = event.data
    if event.type == "Goal.Set":
        new: Doc = {"id": event.id, **{f: data[f] for f in SET_FIELDS}}
        new.update(
            status="draft" if data.get("draft") else "active",
            set_by=event.actor,
            set_at=event.at,
            revisions=[],
            cancel_reason=None,
            latest_progress=None,
            attainment=None,
            template_id=data.get("template_id"),
            progress_count=0,
            closed=None,
            corrections=[],
        )
    else:
        if doc is None:
            raise ValueError(f"{event.type} for goal {event.id} before Goal.Set")
        new = dict(doc)
        if event.type == "Goal.TargetRevised":
            new["target"] = data["after"]
            new["revisions"] = [
                *doc["revisions"],
                {
                    "before": data["before"],
                    "after": data["after"],
                    "reason": data["reason"],
                    "actor": event.actor,
                    "at": event.at,
                },
            ]
        elif event.type == "Goal.Activated":
            new["status"] = "active"
        elif event.type == "Goal.Cancelled":
            new["status"] = "cancelled"
            new["cancel_reason"] = data["reason"]
        elif event.type == "Goal.ProgressRecorded":
            new["latest_progress"] = {
                "value": data["after"],
                "before": data["before"],
                "as_of": data["as_of"],
                "source": data["source"],
                "note": data["note"],
                "actor": event.actor,
                "at": event.at,
            }
            new["progress_count"] = doc.get("progress_count", 0) + 1
        elif event.type == "Goal.ProgressOverridden":
            new["latest_progress"] = {
                "value": data["after"],
                "before": data["before"],
                "as_of": data["as_of"],
                "source": "override",
                "note": data["note"],
                "actor": event.actor,
                "at": event.at,
                "override": True,
            }
            new["progress_count"] = doc.get("progress_count", 0) + 1
        elif event.type == "Goal.Corrected":
            corrected(new, doc, event)
        elif event.type == "Goal.Closed":
            new["status"] = data["outcome"]
            new["closed"] = {
                k: data[k] for k in ("outcome", "value", "attainment", "target", "as_of")
            }
            new["closed"].update(actor=event.actor, at=event.at)
    progress = new.get("latest_progress")
    new["attainment"] = attainment(
        new["target"], new["direction"], None if progress is None else progress["value"]
    )
    new["version"] = event.version
    new["updated_at"] = event.at
    return new


def corrected(new: Doc, doc: Doc, event: EventEnvelope) -> None:
    """A closed goal's value corrected: outcome, closing record and latest value follow."""
    data = event.data
    new["status"] = data["outcome"]
    new["closed"] = {
        **doc["closed"],
        "outcome": data["outcome"],
        "value": data["after"],
        "attainment": data["attainment"],
    }
    new["latest_progress"] = {
        "value": data["after"],
        "before": data["before"],
        "as_of": doc["closed"]["as_of"],
        "source": "correction",
        "note": data["reason"],
        "actor": event.actor,
        "at": event.at,
    }
    new["corrections"] = [
        *doc.get("corrections", []),
        {
            **{
                k: data[k]
                for k in (
                    "before",
                    "after",
                    "before_outcome",
                    "outcome",
                    "before_attainment",
                    "attainment",
                    "reason",
                )
            },
            "actor": event.actor,
            "at": event.at,
        },
    ]


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


def overlaps(goal: Doc, start: date | None, end: date | None) -> bool:
    """True when the goal's period (days, both ends included) meets [start, end)."""
    if start is None and end is None:
        return True
    first, last = date.fromisoformat(goal["period_start"]), date.fromisoformat(goal["period_end"])
    return (start is None or last >= start) and (end is None or first < end)


def roll_up(
    goals: Iterable[Doc], start: date | None = None, end: date | None = None
) -> dict[str, Any]:
    """A team's goals whose period meets [start, end) rolled up: attainment weighted by goal weight.

    Each goal counts as a review counts it (``scoring.scored_attainment``): clamped to
    [0, 1.5], a closed goal never measured as 0, cancelled goals left out. Open goals
    not measured yet are left out of the mean and counted in ``unmeasured``.
    """
    by_status: dict[str, int] = {}
    weighted = weights = 0.0
    count = measured = 0
    for goal in goals:
        if not overlaps(goal, start, end):
            continue
        by_status[goal["status"]] = by_status.get(goal["status"], 0) + 1
        if goal["status"] == "cancelled":
            continue
        count += 1
        reached = scored_attainment(goal["status"], goal.get("attainment"))
        if reached is not None:
            measured += 1
            weighted += reached * goal["weight"]
            weights += goal["weight"]
    return {
        "goals": count,
        "measured": measured,
        "unmeasured": count - measured,
        "by_status": by_status,
        "attainment": weighted / weights if weights else None,
    }
