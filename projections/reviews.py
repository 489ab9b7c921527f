"""Review and review-template read models: pure functions from events to their records.

The review document mirrors the Review aggregate's attributes under the same names, so a
read model can be compared with the aggregate field by field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aggregates.contract import EventEnvelope

Doc = dict[str, Any]


def started(event: EventEnvelope) -> Doc:
    data = event.data
    policy = data["policy"]
    return {
        "id": event.id,
        "agent_id": data["agent_id"],
        "team_id": data["team_id"],
        "period_start": data["period_start"],
        "period_end": data["period_end"],
        "goal_ids": data["goal_ids"],
        "reviewer": event.actor,
        "policy_id": policy["policy_id"],
        "policy_version": policy["version"],
        "criteria": policy["criteria"],
        "goal_weight": policy["goal_weight"],
        "status": "in_progress",
        "scores": {},
        "inputs": [],
        "calibration": 0.0,
        "score_changes": [],
        "overall_score": None,
        "finalisations": [],
        "acknowledged_by": None,
        "acknowledged_at": None,
        "reopenings": [],
        "disputes": [],
        "cancellation": None,
        "started_at": event.at,
    }


def scored(doc: Doc, event: EventEnvelope) -> None:
    data = event.data
    doc["scores"] = {
        **doc["scores"],
        data["criterion"]: {
            "score": data["after"],
            "rationale": data["rationale"],
            "scored_by": event.actor,
        },
    }
    doc["score_changes"] = [
        *doc["score_changes"],
        {
            "kind": "criterion",
            "criterion": data["criterion"],
            "before": data["before"],
            "after": data["after"],
            "rationale": data["rationale"],
            "actor": event.actor,
            "reason": data["reason"],
            "at": event.at,
        },
    ]


def feedback(doc: Doc, event: EventEnvelope) -> None:
    data = event.data
    doc["inputs"] = [
        *doc["inputs"],
        {
            "source": data["source"],
            "author_id": data["author_id"],
            "text": data["text"],
            "rating": data["rating"],
            "actor": event.actor,
            "at": event.at,
        },
    ]


def calibrated(doc: Doc, event: EventEnvelope) -> None:
    data = event.data
    doc["calibration"] = data["after"]
    doc["score_changes"] = [
        *doc["score_changes"],
        {
            "kind": "calibration",
            "criterion": None,
            "before": data["before"],
            "after": data["after"],
            "rationale": None,
            "actor": event.actor,
            "reason": data["reason"],
            "at": event.at,
        },
    ]


def finalised(doc: Doc, event: EventEnvelope) -> None:
    data = event.data
    doc["status"] = "finalised"
    doc["overall_score"] = data["overall_score"]
    doc["finalisations"] = [
        *doc["finalisations"],
        {
            **{
                k: data[k]
                for k in (
                    "goal_results",
                    "criteria_scores",
                    "calibration",
                    "overall_score",
                    "policy_id",
                    "policy_version",
                )
            },
            "actor": event.actor,
            "at": event.at,
        },
    ]
    for index in data["resolved_disputes"]:
        close_dispute(doc, index, "rescored", None, event)


def acknowledged(doc: Doc, event: EventEnvelope) -> None:
    doc.update(status="acknowledged", acknowledged_by=event.actor, acknowledged_at=event.at)


def reopened(doc: Doc, event: EventEnvelope) -> None:
    doc.update(status="in_progress", overall_score=None, acknowledged_by=None, acknowledged_at=None)
    doc["reopenings"] = [
        *doc["reopenings"],
        {"reason": event.data["reason"], "actor": event.actor, "at": event.at},
    ]


def cancelled(doc: Doc, event: EventEnvelope) -> None:
    doc.update(
        status="cancelled",
        cancellation={"reason": event.data["reason"], "actor": event.actor, "at": event.at},
    )


def disputed(doc: Doc, event: EventEnvelope) -> None:
    data = event.data
    doc["disputes"] = [
        *doc["disputes"],
        {
            "index": len(doc["disputes"]),
            "criterion": data["criterion"],
            "disputed_score": data["disputed_score"],
            "reason": data["reason"],
            "raised_by": event.actor,
            "raised_at": event.at,
            "status": "open",
            "resolution_reason": None,
            "resolved_by": None,
            "resolved_at": None,
        },
    ]


def upheld(doc: Doc, event: EventEnvelope) -> None:
    close_dispute(doc, event.data["index"], "upheld", event.data["reason"], event)


def close_dispute(
    doc: Doc, index: int, status: str, reason: str | None, event: EventEnvelope
) -> None:
    disputes = [dict(d) for d in doc["disputes"]]
    disputes[index].update(
        status=status, resolution_reason=reason, resolved_by=event.actor, resolved_at=event.at
    )
    doc["disputes"] = disputes


CHANGES: dict[str, Callable[[Doc, EventEnvelope], None]] = {
    "Review.CriterionScored": scored,
    "Review.FeedbackReceived": feedback,
    "Review.Calibrated": calibrated,
    "Review.Finalised": finalised,
    "Review.Acknowledged": acknowledged,
    "Review.Reopened": reopened,
    "Review.Disputed": disputed,
    "Review.DisputeUpheld": upheld,
    "Review.Cancelled": cancelled,
}


def apply_review(doc: Doc | None, event: EventEnvelope) -> Doc:
    """The review document after this event (doc is None before Review.Started)."""
    if event.type == "Review.Started":
        new = started(event)
    else:
        if doc is None:
            raise ValueError(f"{event.type} for review {event.id} before it was started")
        new = dict(doc)
        change = CHANGES.get(event.type)
        if change is not None:
            change(new, event)
    new["open_disputes"] = [d for d in new["disputes"] if d["status"] == "open"]
    new["version"] = event.version
    new["updated_at"] = event.at
    return new


def apply_agent_reviews(doc: Doc | None, event: EventEnvelope) -> Doc:
    """An agent's review register: the live reviews and their periods."""
    data = event.data
    if event.type == "AgentReviews.Opened":
        new: Doc = {"id": event.id, "agent_id": data["agent_id"], "reviews": {}}
    else:
        if doc is None:
            raise ValueError(f"{event.type} for register {event.id} before it was opened")
        new = dict(doc)
        reviews = dict(doc["reviews"])
        if event.type == "AgentReviews.Booked":
            reviews[data["review_id"]] = {
                "period_start": data["period_start"],
                "period_end": data["period_end"],
            }
        elif event.type == "AgentReviews.Released":
            reviews.pop(data["review_id"], None)
        new["reviews"] = reviews
    new["version"] = event.version
    new["updated_at"] = event.at
    return new


def apply_review_template(doc: Doc | None, event: EventEnvelope) -> Doc:
    """The review template: every version of the policy, newest last."""
    data = event.data
    if event.type == "ReviewTemplate.Published":
        new: Doc = {
            "id": event.id,
            "policy_id": data["policy_id"],
            "name": data["name"],
            "versions": [],
            "created_at": event.at,
        }
        version = {
            "policy_id": data["policy_id"],
            "version": 1,
            "criteria": data["criteria"],
            "goal_weight": data["goal_weight"],
        }
    else:
        if doc is None:
            raise ValueError(f"{event.type} for template {event.id} before it was published")
        new = dict(doc)
        version = {
            "policy_id": doc["policy_id"],
            "version": data["version"],
            "criteria": data["criteria"],
            "goal_weight": data["goal_weight"],
        }
    new["versions"] = [*new["versions"], {**version, "actor": event.actor, "at": event.at}]
    new["latest_version"] = len(new["versions"])
    new["version"] = event.version
    new["updated_at"] = event.at
    return new
