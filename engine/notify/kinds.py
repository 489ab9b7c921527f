"""The notification kinds a subscription names, and which domain events raise each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ALERT_RAISED = "alert.raised"
REVIEW_FINALISED = "review.finalised"
REVIEW_REOPENED = "review.reopened"
DISPUTE_FILED = "dispute.filed"
DISPUTE_RESOLVED = "dispute.resolved"
ACTION_ITEM_OVERDUE = "action_item.overdue"
MEETING_SCHEDULED = "meeting.scheduled"  # accepted; meetings do not exist yet, nothing emits it

KINDS: tuple[str, ...] = (
    ALERT_RAISED,
    REVIEW_FINALISED,
    REVIEW_REOPENED,
    DISPUTE_FILED,
    DISPUTE_RESOLVED,
    ACTION_ITEM_OVERDUE,
    MEETING_SCHEDULED,
)

# Domain event type -> the kinds it raises. One entry per event type: a new stream (development
# plans, meetings) adds its event here and its kind to KINDS, and nothing else changes.
EVENT_KINDS: Mapping[str, tuple[str, ...]] = {
    "Alert.Raised": (ALERT_RAISED,),
    "Review.Finalised": (REVIEW_FINALISED,),
    "Review.Reopened": (REVIEW_REOPENED,),
    "Review.Disputed": (DISPUTE_FILED,),
    "Review.DisputeUpheld": (DISPUTE_RESOLVED,),
}

# Read-model docs whose items fall overdue: doc kind -> (field of its items, the kind it
# raises). An item is open while its `completed_by` is null and overdue once its `due` date has
# passed in the team's time zone. Development-plan actions will be one more entry here.
OVERDUE_SOURCES: Mapping[str, tuple[str, str]] = {
    "CheckIn": ("action_items", ACTION_ITEM_OVERDUE),
}

# Events whose data names the aggregate's team: remembered so that later events of the same
# aggregate (a review's Finalised carries no team) find theirs.
TEAM_FIELD = "team_id"


def kinds_of(event_type: str, data: Mapping[str, Any]) -> tuple[str, ...]:
    """The notification kinds one domain event raises (none for most)."""
    kinds = EVENT_KINDS.get(event_type, ())
    # A finalisation that re-scored disputed criteria resolves those disputes too.
    if event_type == "Review.Finalised" and data.get("resolved_disputes"):
        kinds = (*kinds, DISPUTE_RESOLVED)
    return kinds
