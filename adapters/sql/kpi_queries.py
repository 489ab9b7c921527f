"""Read-side queries over the KPI sums (bucket rows, leaderboards) and telephony's audit:
deliveries, corrections."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from adapters.sql import archive
from adapters.sql.database import Database
from adapters.sql.kpi_corrections import VOID_MARK, corrections_rows, counted_payload
from adapters.sql.kpi_view import (
    STORED_KINDS,
    agent_day_totals,
    sums_rows,
    team_of_agent,
)
from projections.kpi import (
    COUNTERS,
    add_sums,
    empty_sums,
    identity_problem,
    kpis,
    month_start,
    week_start,
)

__all__ = ["agent_totals", "corrections_of", "kpi_rows", "range_total", "team_of_agent"]


def kpi_rows(
    db: Database,
    scope: str,
    scope_id: str,
    bucket: str,
    start: str | None,
    end: str | None,
    after: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    """KPI rows of one agent or team, bucket by bucket, oldest first."""
    if bucket == "total":
        return range_total(_sums(db, scope, scope_id, "day", start, end, None, None), start, after)
    if bucket not in STORED_KINDS:
        return _rows_from_days(db, scope, scope_id, bucket, start, end, after, limit)
    return [
        {"start": r["start"], **kpis(r)}
        for r in _sums(db, scope, scope_id, bucket, start, end, after, limit)
    ]


def range_total(
    days: list[dict[str, Any]], start: str | None, after: str | None
) -> list[dict[str, Any]]:
    """One row for the whole range: the day sums added up
    (KPIs are ratios of sums, not averages)."""
    if not days or after is not None:
        return []
    total = empty_sums()
    for day in days:
        add_sums(total, day)
    return [{"start": start or days[0]["start"], **kpis(total)}]


def _rows_from_days(
    db: Database,
    scope: str,
    scope_id: str,
    bucket: str,
    start: str | None,
    end: str | None,
    after: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Week and month rows, summed from the day rows of the buckets asked for."""
    bucket_of = week_start if bucket == "week" else month_start
    lower = max((b for b in (start, after) if b is not None), default=None)
    upper = (datetime.fromisoformat(end) + timedelta(days=32)).isoformat() if end else None
    totals: dict[str, dict[str, int]] = {}
    for day in _sums(db, scope, scope_id, "day", lower, upper, None, None):
        key = bucket_of(datetime.fromisoformat(day["start"])).isoformat()
        if (
            (start is not None and key < start)
            or (end is not None and key >= end)
            or (after and key <= after)
        ):
            continue
        add_sums(totals.setdefault(key, empty_sums()), day)
    return [{"start": key, **kpis(totals[key])} for key in sorted(totals)[:limit]]


def _sums(
    db: Database,
    scope: str,
    scope_id: str,
    bucket: str,
    start: str | None,
    end: str | None,
    after: str | None,
    limit: int | None,
) -> list[dict[str, Any]]:
    return sums_rows(db, scope, scope_id, bucket, start, end, after, limit)


def agent_totals(
    db: Database, team_id: str, start: str | None, end: str | None
) -> list[dict[str, Any]]:
    """Each agent of the team with KPIs over the whole range (summed day buckets)."""
    rows = agent_day_totals(db, team_id, start, end)
    return [{"agent_id": r["scope_id"], **kpis({c: int(r[c]) for c in COUNTERS})} for r in rows]


def corrections_of(db: Database, event_id: str) -> dict[str, Any] | None:
    """The audit trail of one telephony event: the original as archived, every correction and void,
    what counts."""
    original = archive.archived_row(db, event_id)
    rows = corrections_rows(db, event_id)
    if not original and not rows:
        return None
    counted = counted_payload(db, event_id)
    base = json.loads(original[0]["payload"]) if original else None
    listed = [_correction_row(row, base, counted) for row in rows]
    counts_as = "voided" if counted == VOID_MARK else "corrected" if counted else "original"
    return {
        "event_id": event_id,
        "original": (
            {"recorded_at": original[0]["recorded_at"], "event": base} if original else None
        ),
        "counts_as": counts_as if original else "not received",
        "counted": json.loads(counted)
        if counted and counted != VOID_MARK
        else base
        if original
        else None,
        "corrections": listed,
    }


def _correction_row(
    row: dict[str, Any], original: dict[str, Any] | None, counted: str | None
) -> dict[str, Any]:
    sent = json.loads(row["payload"])
    if row["held"] or original is None:
        status = "held: the original is not received yet"
    elif (row["agent_id"], row["team_id"]) != (original["agent_id"], original["team_id"]):
        status = (
            f"not applied: names agent {row['agent_id']} of team {row['team_id']}, "
            "not the original's"
        )
    elif row["kind"] == "event.voided" or row["body"] == counted:
        status = "applied"
    else:
        body = json.loads(row["body"])
        base = {
            **original,
            "occurred_at": datetime.fromisoformat(original["occurred_at"].upper()).isoformat(),
        }
        problem = identity_problem(base, body)
        status = (
            f"not applied: {problem}"
            if problem
            else "superseded"
            if counted != VOID_MARK
            else "void prevails"
        )
    return {
        "event_id": row["event_id"],
        "type": row["kind"],
        "occurred_at": row["occurred_at"],
        "recorded_at": row["recorded_at"],
        "reason": sent.get("reason"),
        "status": status,
        **({"event": json.loads(row["body"])} if row["body"] else {}),
    }
