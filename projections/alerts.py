"""Alert read models: pure functions from an alert's (or a team's rules') events to its document."""

from __future__ import annotations

from typing import Any

from aggregates.contract import EventEnvelope

Doc = dict[str, Any]
RAISED_FIELDS = (
    "key",
    "rule",
    "team_id",
    "agent_id",
    "kpi",
    "day",
    "value",
    "threshold",
    "summary",
    "details",
)


def apply_alert(doc: Doc | None, event: EventEnvelope) -> Doc:
    """The alert document after this event (doc is None before Alert.Raised)."""
    data = event.data
    if event.type == "Alert.Raised":
        new: Doc = {"id": event.id, **{f: data[f] for f in RAISED_FIELDS}}
        new.update(
            status="open",
            raised_by=event.actor,
            raised_at=event.at,
            check_in_id=None,
            plan_id=None,
            handled_by=None,
            handled_at=None,
            dismiss_reason=None,
        )
    else:
        if doc is None:
            raise ValueError(f"{event.type} for alert {event.id} before it was raised")
        new = dict(doc)
        new.update(handled_by=event.actor, handled_at=event.at)
        if event.type == "Alert.TurnedIntoCheckIn":
            new.update(status="checked_in", check_in_id=data["check_in_id"])
        elif event.type == "Alert.TurnedIntoPlan":
            new.update(status="planned", plan_id=data["plan_id"])
        elif event.type == "Alert.Dismissed":
            new.update(status="dismissed", dismiss_reason=data["reason"])
    new["version"] = event.version
    new["updated_at"] = event.at
    return new


def apply_alert_rules(doc: Doc | None, event: EventEnvelope) -> Doc:
    """A team's alert rules as they stand, with who set them."""
    new: Doc = dict(doc or {"id": event.id, "team_id": event.data.get("team_id")})
    new.update(
        rules=event.data["rules"],
        set_by=event.actor,
        set_at=event.at,
        version=event.version,
        updated_at=event.at,
    )
    return new
