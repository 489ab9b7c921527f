"""The score-change record: one shape for every change a review's score can follow.

A criterion score, a calibration (aggregates/review.py) and a change of an in-scope goal's
target or progress (the goal's own events, read back from its trail) all answer auditors
the same question, so they share one record: what changed, before, after, who and why.
"""

from __future__ import annotations

from typing import Any

# The goal events that change a review's goal part, in the order they are listed.
GOAL_CHANGES = (
    "Goal.TargetRevised",
    "Goal.ProgressRecorded",
    "Goal.ProgressOverridden",
    "Goal.Corrected",
)


def score_change(
    kind: str,
    criterion: str | None,
    before: Any,
    after: Any,
    actor: str,
    reason: str | None,
    at: Any,
    **detail: Any,
) -> dict[str, Any]:
    """One change: its kind (criterion, calibration, goal_*), before, after, actor, reason, time."""
    return {
        "kind": kind,
        "criterion": criterion,
        **detail,
        "before": before,
        "after": after,
        "actor": actor,
        "reason": reason,
        "at": at,
    }


def goal_change(goal_id: str, row: dict[str, Any]) -> dict[str, Any]:
    """A goal's target revision, progress, override or correction (a trail row) as a change."""
    data = row["data"]
    if row["type"] == "Goal.TargetRevised":
        kind, reason = "goal_target", data["reason"]
    elif row["type"] == "Goal.Corrected":
        kind, reason = "goal_correction", data["reason"]
    elif row["type"] == "Goal.ProgressOverridden":
        kind, reason = "goal_override", data["note"] or f"manual override of kpi:{data['kpi']}"
    else:
        kind, reason = "goal_progress", data["note"] or f"measured by {data['source']}"
    return score_change(
        kind, None, data["before"], data["after"], row["actor"], reason, row["at"], goal_id=goal_id
    )
