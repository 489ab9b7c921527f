"""Explanations: the inputs behind a goal's progress value and a review's score.

A KPI-sourced progress value is recomputed from the archived telephony events recorded
by the moment it was recorded (the KPI rules of projections/kpi.py, as the live model
used them), listing the day buckets and the telephony event ids it came from.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from adapters.sql.database import Database
from adapters.sql.kpi_asof import known_events
from adapters.sql.kpi_attribution import RosterSnapshot, consistent
from aggregates.errors import InvalidValue, NotFound
from aggregates.score_changes import GOAL_CHANGES
from aggregates.scoring import ScoringPolicy, overall_score
from engine.application import PerfLedger
from engine.ports import Roster
from engine.replay import replay
from projections.attribution import AS_TELEPHONY_SAYS, UTC_ZONE, local_midnight, shown
from projections.kpi import (
    PlacementIndex,
    SumsBatch,
    add_sums,
    empty_sums,
    is_linked,
    kpis,
    occurred_at,
)

TOLERANCE = 1e-9


def explain_progress(
    app: PerfLedger, db: Database, goal_id: UUID, n: int, roster: Roster | None = None
) -> dict[str, Any]:
    """The n-th (1-based) recorded progress of a goal and where its value came from: the agent's
    days in the goal's team, cut in that team's zone, as goal progress measures them."""
    goal = replay(app, goal_id)
    if goal["type"] != "Goal":
        raise NotFound(f"no goal {goal_id}", id=str(goal_id))
    progress = [e for e in goal["events"] if e["type"] == "Goal.ProgressRecorded"]
    if not 1 <= n <= len(progress):
        raise NotFound(
            f"goal {goal_id} has {len(progress)} progress records, not {n}", id=str(goal_id)
        )
    event, state = progress[n - 1], goal["state"]
    data = event["data"]
    answer = {
        "goal_id": str(goal_id),
        "n": n,
        "version": event["sequence"],
        "at": event["at"],
        "actor": event["actor"],
        "value": data["after"],
        "before": data["before"],
        "as_of": data["as_of"],
        "source": data["source"],
        "note": data["note"],
        "hash": event["hash"],
        "agent_id": state["agent_id"],
        "team_id": state["team_id"],
    }
    if not data["source"].startswith("kpi:"):
        return {**answer, "kind": "manual", "buckets": [], "telephony_event_ids": []}
    kpi = data["source"].removeprefix("kpi:")
    first, last = date.fromisoformat(state["period_start"]), date.fromisoformat(state["period_end"])
    inputs = kpi_inputs(
        db, state["agent_id"], first, last, event["at"], state.get("team_id"), roster
    )
    recomputed = inputs["kpis"].get(kpi)
    reproduced = recomputed is not None and abs(recomputed - data["after"]) <= TOLERANCE * max(
        1.0, abs(recomputed)
    )
    return {
        **answer,
        "kind": "kpi",
        "kpi": kpi,
        "period": {"start": str(first), "end": str(last)},
        "known_at": event["at"],
        "recomputed": recomputed,
        "reproduced": reproduced,
        "buckets": inputs["buckets"],
        "telephony_event_ids": inputs["event_ids"],
    }


def kpi_inputs(
    db: Database,
    agent_id: str,
    first: date,
    last: date,
    known_at: str,
    team_id: str | None = None,
    roster: Roster | None = None,
) -> dict[str, Any]:
    """The agent's day buckets over first..last (local days of the team) and the telephony
    events counted in them, as known then; an agent the roster knows, only its days in the
    team."""
    attribution = (
        AS_TELEPHONY_SAYS if roster is None else RosterSnapshot(consistent(roster)).attribution
    )
    zone = attribution.zone_of(team_id) if team_id else UTC_ZONE
    in_team = team_id if team_id and roster is not None and roster.memberships(agent_id) else None
    lower = local_midnight(first, zone)
    upper = local_midnight(last + timedelta(days=1), zone)
    index, counted = PlacementIndex(), []
    events = [
        {k: v for k, v in e.items() if k != "recorded_at"}
        for e in known_events(db, "agent", agent_id, known_at)
    ]
    for event in events:
        index.place(event)
    placed = {e["event_id"]: at for entries in index.linked.values() for e, at in entries}
    batch = SumsBatch(attribution)
    for event in events:
        at = placed.get(event["event_id"]) if is_linked(event) else occurred_at(event)
        at = at or occurred_at(event)
        if in_team and attribution.team(agent_id, event["team_id"], at) != in_team:
            continue
        if lower <= at < upper:
            batch.add(event, at)
            counted.append(event["event_id"])
    days = {
        key: sums
        for key, sums in batch.records(("day",)).items()
        if key[0] == "agent" and key[1] == agent_id
    }
    total = empty_sums()
    for sums in days.values():
        add_sums(total, sums)
    buckets = [
        {"start": shown(key[3], zone), "events": sums["events"], **kpis(sums)}
        for key, sums in sorted(days.items(), key=lambda item: item[0][3])
    ]
    return {"buckets": buckets, "event_ids": sorted(counted), "kpis": kpis(total)}


def explain_review(
    app: PerfLedger, db: Database, review_id: UUID, roster: Roster | None = None
) -> dict[str, Any]:
    """A review's score changes, scoring policy, finalisations recomputed,
    and each goal's inputs."""
    review = replay(app, review_id)
    if review["type"] != "Review":
        raise NotFound(f"no review {review_id}", id=str(review_id))
    state = review["state"]
    policy = ScoringPolicy(
        state["policy_id"], state["policy_version"], tuple(state["criteria"]), state["goal_weight"]
    )
    finalisations = []
    for entry in state["finalisations"]:
        try:
            again = overall_score(
                policy,
                [(g["attainment"], g["weight"]) for g in entry["goal_results"]],
                entry["criteria_scores"],
                entry["calibration"],
            )
        except InvalidValue:
            again = None
        finalisations.append(
            {**entry, "recomputed": again, "reproduced": again == entry["overall_score"]}
        )
    return {
        "review_id": str(review_id),
        "version": review["version"],
        "status": state["status"],
        "agent_id": state["agent_id"],
        "team_id": state["team_id"],
        "policy": policy.to_dict(),
        "score_changes": state["score_changes"],
        "overall_score": state["overall_score"],
        "finalisations": finalisations,
        "goals": [goal_inputs(app, db, goal_id, roster) for goal_id in state["goal_ids"]],
    }


def goal_inputs(
    app: PerfLedger, db: Database, goal_id: str, roster: Roster | None = None
) -> dict[str, Any]:
    """One in-scope goal's target changes and progress, with the inputs of its latest progress."""
    try:
        goal = replay(app, UUID(goal_id))
    except (ValueError, NotFound):
        return {"goal_id": goal_id, "found": False}
    changes = [
        {
            "version": e["sequence"],
            "type": e["type"],
            "at": e["at"],
            "actor": e["actor"],
            "before": e["data"].get("before"),
            "after": e["data"].get("after"),
            "reason": e["data"].get("reason") or e["data"].get("note"),
        }
        for e in goal["events"]
        if e["type"] in GOAL_CHANGES
    ]
    count = sum(1 for c in changes if c["type"] == "Goal.ProgressRecorded")
    latest = explain_progress(app, db, UUID(goal_id), count, roster) if count else None
    return {
        "goal_id": goal_id,
        "found": True,
        "kpi": goal["state"]["kpi"],
        "target": goal["state"]["target"],
        "score_changes": changes,
        "latest_progress": latest,
        "explain": f"/v1/goals/{goal_id}/progress/{count}/explain" if count else None,
    }
