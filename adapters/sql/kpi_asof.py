"""KPIs as known at a moment: recomputed from the archived telephony events recorded by then.

A survey recorded after that moment does not count, wherever it would land, so an
auditor sees the numbers a manager saw when a decision was made. The recomputation
uses the live model's own rules (projections/kpi.py: PlacementIndex, SumsBatch, kpis).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from adapters.sql import archive
from adapters.sql.database import Database
from adapters.sql.kpi_queries import KIND, group_by_bucket, range_total
from adapters.telephony.ingestor import decode_archived
from projections.attribution import AS_TELEPHONY_SAYS, UTC_ZONE, Attribution, shown
from projections.kpi import SumsKey, add_sums, empty_sums, fold, kpis, occurred_at


def known_events(db: Database, scope: str, scope_id: str, known_at: str) -> list[dict[str, Any]]:
    """The scope's archived telephony events recorded up to `known_at`, with their archive facts."""
    column = "agent_id" if scope == "agent" else "team_id"
    rows = archive.recorded_events(db, column, scope_id, known_at)
    return [
        {**decode_archived(r["payload"].encode()), "recorded_at": r["recorded_at"]} for r in rows
    ]


def records(
    events: Iterable[dict[str, Any]], attribution: Attribution = AS_TELEPHONY_SAYS
) -> dict[SumsKey, dict[str, int]]:
    """The KPI sums records of these events, exactly as the live projection would hold them."""
    return fold(({k: v for k, v in e.items() if k != "recorded_at"} for e in events), attribution)


def known_rows(
    db: Database,
    scope: str,
    scope_id: str,
    bucket: str,
    start: str | None,
    end: str | None,
    after: str | None,
    limit: int,
    known_at: str,
    zone: str = UTC_ZONE,
    attribution: Attribution = AS_TELEPHONY_SAYS,
) -> list[dict[str, Any]]:
    """KPI rows per bucket, oldest first, as they were known at `known_at`, days cut in `zone`."""
    found = records(known_events(db, scope, scope_id, known_at), attribution)
    intervals: list[dict[str, Any]] = [
        {"start": begin.isoformat(), **sums}
        for (kind, owner, bucket_kind, begin), sums in found.items()
        if (kind, owner, bucket_kind) == (scope, scope_id, "interval")
    ]
    if bucket == "total":
        within = [i for i in intervals if _within(i["start"], start, end, None)]
        rows = range_total(sorted(within, key=lambda d: str(d["start"])), start, after)
    elif bucket == "interval":
        rows = [
            {"start": i["start"], **kpis(i)}
            for i in sorted(intervals, key=lambda d: str(d["start"]))
            if _within(i["start"], start, end, after)
        ][:limit]
    else:
        totals = group_by_bucket(intervals, KIND[bucket], zone, start, end, after)
        rows = [{"start": key, **kpis(totals[key])} for key in sorted(totals)[:limit]]
    return [{**row, "start": shown(row["start"], zone)} for row in rows]


def known_agent_totals(
    db: Database,
    team_id: str,
    start: str | None,
    end: str | None,
    known_at: str,
    attribution: Attribution = AS_TELEPHONY_SAYS,
) -> list[dict[str, Any]]:
    """Each agent of the team with KPIs over the range, as known at `known_at`."""
    totals: dict[str, dict[str, int]] = {}
    events = [
        e
        for e in known_events(db, "team", team_id, known_at)
        if attribution.team(e["agent_id"], e["team_id"], occurred_at(e)) == team_id
    ]
    for (kind, owner, bucket_kind, begin), sums in records(events, attribution).items():
        if (
            kind != "agent"
            or bucket_kind != "interval"
            or not _within(begin.isoformat(), start, end, None)
        ):
            continue
        add_sums(totals.setdefault(owner, empty_sums()), sums)
    return [{"agent_id": agent, **kpis(sums)} for agent, sums in sorted(totals.items())]


def _within(text: str, start: str | None, end: str | None, after: str | None) -> bool:
    moment = datetime.fromisoformat(text)
    checks: tuple[tuple[str | None, Callable[[datetime], bool]], ...] = (
        (start, lambda b: moment >= b),
        (end, lambda b: moment < b),
        (after, lambda b: moment > b),
    )
    for bound, ok in checks:
        if bound is not None and not ok(datetime.fromisoformat(bound)):
            return False
    return True
