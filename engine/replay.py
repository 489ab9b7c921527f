"""Point-in-time replay: an aggregate as it was at a version or a moment, and how it got there."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from aggregates.contract import GENESIS, envelope_of, event_hash, plain
from aggregates.errors import InvalidValue, NotFound
from aggregates.goal import Goal
from aggregates.review import Review
from aggregates.scoring import overall_score
from engine.application import PerfLedger


def replay(
    app: PerfLedger,
    aggregate_id: UUID,
    *,
    version: int | None = None,
    as_of: datetime | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """The aggregate at `version`, or at the last event on or before `as_of` (both: the earlier)."""
    # Decoded straight from the event store: a replay never trusts a read model.
    events = []
    for stored in app.events.get(aggregate_id):
        events.append(envelope_of(0, get_topic(type(stored)), vars(stored)))
        if progress is not None:
            progress("replay", len(events), 0)  # the total is known only at the end
    if not events:
        raise NotFound(f"no aggregate {aggregate_id}", id=str(aggregate_id))
    upto = version if version is not None else events[-1].version
    if version is not None and not 1 <= version <= events[-1].version:
        raise InvalidValue(f"version must be 1..{events[-1].version}", field="version")
    if as_of is not None:
        if as_of.utcoffset() is None:
            raise InvalidValue("as_of needs a UTC offset", field="as_of")
        before = [e.version for e in events if datetime.fromisoformat(e.at) <= as_of]
        if not before:
            raise NotFound(
                f"{aggregate_id} did not exist at {as_of.isoformat()}", id=str(aggregate_id)
            )
        upto = min(upto, max(before))
    aggregate: Any = app.repository.get(aggregate_id, version=upto)
    trail: list[dict[str, Any]] = []
    prev = GENESIS
    for event in events[:upto]:
        digest = event_hash(prev, event)  # the same chain as the event-trail read model's
        trail.append(
            {
                "sequence": event.version,
                "type": event.type,
                "at": event.at,
                "actor": event.actor,
                "data": event.data,
                "hash": digest,
                "prev_hash": prev,
            }
        )
        prev = digest
    result = {
        "id": str(aggregate_id),
        "type": type(aggregate).__name__,
        "version": aggregate.version,
        "at": trail[-1]["at"],
        "state": state_of(aggregate),
        "events": trail,
    }
    # Scores that depend on other aggregates (a review's goals) are taken at the same moment.
    moment = as_of or (
        datetime.fromisoformat(trail[-1]["at"]) if version is not None else datetime.now(UTC)
    )
    scores = scores_of(app, aggregate, moment)
    if scores is not None:
        result["scores"] = scores
    return result


def state_of(aggregate: Aggregate) -> dict[str, Any]:
    """The aggregate's attributes as plain JSON-ready data."""
    return {
        key.lstrip("_"): plain(value)
        for key, value in vars(aggregate).items()
        if key != "_pending_events"
    }


def scores_of(app: PerfLedger, aggregate: Aggregate, at: datetime) -> dict[str, Any] | None:
    """A goal's or review's scores as they stood at that moment; None for other aggregates."""
    if isinstance(aggregate, Goal):
        return {
            "target": aggregate.target,
            "latest_value": aggregate.latest_value,
            "attainment": aggregate.attainment,
            "status": aggregate.status,
        }
    if isinstance(aggregate, Review):
        return review_scores(app, aggregate, at)
    return None


def review_scores(app: PerfLedger, review: Review, at: datetime) -> dict[str, Any]:
    """Criteria, calibration, recorded overall, and the in-scope goals' attainment as of `at`."""
    goals = [goal_as_of(app, goal_id, at) for goal_id in review.goal_ids]
    criteria = {name: entry["score"] for name, entry in review.scores.items()}
    provisional = None
    if all(name in criteria for name in review.criteria):
        try:
            provisional = overall_score(
                review.policy,
                [(g["attainment"], g["weight"]) for g in goals],
                criteria,
                review.calibration,
            )
        except InvalidValue:
            provisional = None
    return {
        "status": review.status,
        "criteria": criteria,
        "calibration": review.calibration,
        "overall_score": review.overall_score,
        "provisional_overall": provisional,
        "policy_id": review.policy_id,
        "policy_version": review.policy_version,
        "goals": goals,
    }


def goal_as_of(app: PerfLedger, goal_id: str, at: datetime) -> dict[str, Any]:
    """One goal's attainment and weight at a moment (None before it existed or when cancelled)."""
    try:
        uid = UUID(goal_id)
        stored: list[Any] = list(app.events.get(uid))  # aggregate events: they carry a timestamp
        versions = [e.originator_version for e in stored if e.timestamp <= at]
        goal = app.repository.get(uid, version=max(versions)) if versions else None
    except (ValueError, AggregateNotFoundError):
        goal = None
    if not isinstance(goal, Goal):
        return {
            "goal_id": goal_id,
            "version": None,
            "attainment": None,
            "weight": 1.0,
            "latest_value": None,
            "target": None,
        }
    reached = None if goal.status == "cancelled" else goal.attainment
    return {
        "goal_id": goal_id,
        "version": goal.version,
        "attainment": reached,
        "weight": goal.weight,
        "latest_value": goal.latest_value,
        "target": goal.target,
    }
