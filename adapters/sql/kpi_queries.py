"""Read-side queries over the KPI sums (bucket rows, leaderboards) and telephony's audit:
deliveries, corrections."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
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
from projections.attribution import UTC_ZONE, shown, starts
from projections.kpi import (
    COUNTERS,
    add_sums,
    empty_sums,
    identity_problem,
    kpis,
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
    zone: str = UTC_ZONE,
    stored_zone: str = UTC_ZONE,
) -> list[dict[str, Any]]:
    """KPI rows of one agent or team, bucket by bucket, oldest first, days cut in `zone`.

    Bounds are UTC ISO texts. Stored days serve when they are cut in the zone asked for
    (`stored_zone`); another zone's days are added up from the 15-minute intervals, which is
    exact. Each row's start is shown with the zone's offset.
    """
    if bucket != "interval" and zone != stored_zone:
        rows = rows_from_intervals(db, scope, scope_id, bucket, start, end, after, limit, zone)
    elif bucket == "total":
        days = _sums(db, scope, scope_id, "day", start, end, None, None)
        rows = range_total(days, start, after)
    elif bucket not in STORED_KINDS:
        rows = _rows_from_days(db, scope, scope_id, bucket, start, end, after, limit, zone)
    else:
        rows = [
            {"start": r["start"], **kpis(r)}
            for r in _sums(db, scope, scope_id, bucket, start, end, after, limit)
        ]
    return [{**row, "start": shown(row["start"], zone)} for row in rows]


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


def group_by_bucket(
    records: Iterable[Mapping[str, Any]],
    kind: int,
    zone: str,
    start: str | None,
    end: str | None,
    after: str | None,
) -> dict[str, dict[str, int]]:
    """Sums records (interval or day rows) added up per bucket start of `kind` (1 day, 2 week,
    3 month) in the zone, keeping buckets that start in [start, end) and after `after`."""
    totals: dict[str, dict[str, int]] = {}
    texts: dict[str, str] = {}
    for record in records:
        at = record["start"]
        key = texts.get(at)
        if key is None:
            key = texts[at] = starts(datetime.fromisoformat(at), zone)[kind].isoformat()
        if (
            (start is not None and key < start)
            or (end is not None and key >= end)
            or (after and key <= after)
        ):
            continue
        add_sums(totals.setdefault(key, empty_sums()), record)
    return totals


KIND = {"day": 1, "week": 2, "month": 3}


def rows_from_intervals(
    db: Database,
    scope: str,
    scope_id: str,
    bucket: str,
    start: str | None,
    end: str | None,
    after: str | None,
    limit: int,
    zone: str,
) -> list[dict[str, Any]]:
    """Day, week, month or total rows in any zone, added up from the interval sums."""
    if bucket == "total":
        intervals = _sums(db, scope, scope_id, "interval", start, end, None, None)
        return range_total(intervals, start, after)
    lower = max((b for b in (start, after) if b is not None), default=None)
    upper = _beyond(end)
    intervals = _sums(db, scope, scope_id, "interval", lower, upper, None, None)
    totals = group_by_bucket(intervals, KIND[bucket], zone, start, end, after)
    return [{"start": key, **kpis(totals[key])} for key in sorted(totals)[:limit]]


def _beyond(end: str | None) -> str | None:
    # A bucket starting before `end` holds data up to a month after it.
    return (datetime.fromisoformat(end) + timedelta(days=32)).isoformat() if end else None


def _rows_from_days(
    db: Database,
    scope: str,
    scope_id: str,
    bucket: str,
    start: str | None,
    end: str | None,
    after: str | None,
    limit: int,
    zone: str,
) -> list[dict[str, Any]]:
    """Week and month rows, summed from the day rows of the buckets asked for."""
    lower = max((b for b in (start, after) if b is not None), default=None)
    days = _sums(db, scope, scope_id, "day", lower, _beyond(end), None, None)
    totals = group_by_bucket(days, KIND[bucket], zone, start, end, after)
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
    db: Database,
    team_id: str,
    start: str | None,
    end: str | None,
    zone: str = UTC_ZONE,
    stored_zone: str = UTC_ZONE,
) -> list[dict[str, Any]]:
    """Each agent of the team with KPIs over the whole range (days of the team, or intervals
    when the range is cut in another zone than the stored days)."""
    bucket = "day" if zone == stored_zone else "interval"
    rows = agent_day_totals(db, team_id, start, end, bucket)
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
