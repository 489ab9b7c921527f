"""The audit trail of any aggregate, its state at any point, and a review's score changes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from adapters.http.auth import CurrentPrincipal, check_read, require_role
from adapters.http.routes.common import Services, document, parse_id
from adapters.sql.documents_view import event_trail, find_document
from adapters.sql.verify import verify_against_published
from aggregates.errors import InvalidValue, NotFound
from engine.commands import Moment
from engine.integrity import seal_key
from engine.replay import replay

router = APIRouter(prefix="/v1/audit", tags=["audit"])
GOAL_CHANGES = ("Goal.TargetRevised", "Goal.ProgressRecorded", "Goal.ProgressOverridden", "Goal.Corrected")


@router.get("/verify")
def verify_all(
    who: CurrentPrincipal, services: Services, events_head: str | None = None, archive_head: str | None = None,
) -> dict[str, Any]:
    """Checks every stored event, archived telephony event and snapshot against its seal; names the first that differs.

    Each chain is compared with the newest head the sealer published outside the database
    (the data directory's file, then Kafka), or with `events_head` / `archive_head` (`N:CHAIN`,
    as an earlier verify reported them): a chain that no longer reaches it was cut off.
    """
    require_role(who, "admin", "auditor")
    settings = services.settings
    key = seal_key(settings.signing_secret())
    heads = [parse_head(name, value) for name, value in (("events_head", events_head), ("archive_head", archive_head))]
    published = services.published_heads().latest()
    return verify_against_published(services.db, services.app, key, published, *heads).as_dict()


def parse_head(name: str, value: str | None) -> tuple[int, str] | None:
    if value is None:
        return None
    position, _, chain = value.partition(":")
    # ASCII digits, and few enough for int(): "²" or 5,000 digits would otherwise be a 500.
    if not (position.isascii() and position.isdigit() and len(position) <= 18) or len(chain) != 64:
        raise InvalidValue("expected N:CHAIN as verify reports a head", field=name)
    return int(position), chain


@router.get("/{aggregate_id}/events")
def events(aggregate_id: str, who: CurrentPrincipal, services: Services) -> list[dict[str, Any]]:
    """Every event of the aggregate, oldest first, with actor and hash chain."""
    found = find_document(services.db, aggregate_id)
    rows = event_trail(services.db, aggregate_id)
    if not rows:
        raise NotFound(f"no events for {aggregate_id}", id=aggregate_id)
    check_read(who, found[1] if found else {})
    return rows


@router.get("/{aggregate_id}/state")
def state(
    aggregate_id: str, who: CurrentPrincipal, services: Services,
    version: int | None = Query(default=None, ge=1), as_of: Moment | None = None,
) -> dict[str, Any]:
    """The aggregate as it was at a version or time (default: now), replayed from the event store."""
    require_role(who, "admin", "auditor", "manager", "agent")
    result = replay(services.app, parse_id(aggregate_id), version=version, as_of=as_of)
    check_read(who, result["state"])
    # The state's attributes stay at the top level (the v1 shape); the replay adds how it got there.
    replayed = {"at": result["at"], "events": result["events"], "scores": result.get("scores")}
    return {"type": result["type"], **result["state"], "replayed": replayed}


@router.get("/reviews/{review_id}/score-changes")
def score_changes(
    review_id: str, who: CurrentPrincipal, services: Services, goals: bool = True
) -> list[dict[str, Any]]:
    """Every change of a score behind the review, oldest first: criteria, calibration and,
    unless goals=false, the in-scope goals' target revisions and progress."""
    review = document(services, "Review", review_id)
    check_read(who, review)
    changes = [{key: change[key] for key in ("kind", "criterion", "before", "after", "actor",
                                             "reason", "at")} for change in review["score_changes"]]
    if goals:
        for goal_id in review["goal_ids"]:
            changes.extend(goal_change(goal_id, row) for row in event_trail(services.db, goal_id)
                           if row["type"] in GOAL_CHANGES)
    # Stable: changes with the same timestamp keep the order their own trail gives them.
    return sorted(changes, key=lambda change: change["at"])


def goal_change(goal_id: str, row: dict[str, Any]) -> dict[str, Any]:
    """A goal's target revision, progress, override or correction as a score change."""
    data = row["data"]
    if row["type"] == "Goal.TargetRevised":
        kind, reason = "goal_target", data["reason"]
    elif row["type"] == "Goal.Corrected":
        kind, reason = "goal_correction", data["reason"]
    elif row["type"] == "Goal.ProgressOverridden":
        kind, reason = "goal_override", data["note"] or f"manual override of kpi:{data['kpi']}"
    else:
        kind, reason = "goal_progress", data["note"] or f"measured by {data['source']}"
    return {"kind": kind, "criterion": None, "goal_id": goal_id, "before": data["before"],
            "after": data["after"], "actor": row["actor"], "reason": reason, "at": row["at"]}
