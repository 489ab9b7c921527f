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
from adapters.sql.kpi_queries import range_total
from adapters.telephony.ingestor import decode_archived
from projections.kpi import SumsKey, add_sums, empty_sums, fold, kpis


def known_events(db: Database, scope: str, scope_id: str, known_at: str) -> list[dict[str, Any]]:
    """The scope's archived telephony events recorded up to `known_at`, with their archive facts."""
    column = "agent_id" if scope == "agent" else "team_id"
    rows = archive.recorded_events(db, column, scope_id, known_at)
    return [
        {**decode_archived(r["payload"].encode()), "recorded_at": r["recorded_at"]} for r in rows
    ]


def records(events: Iterable[dict[str, Any]]) -> dict[SumsKey, dict[str, int]]:
    """The KPI sums records of these events, exactly as the live projection would hold them."""
    return fold({k: v for k, v in e.items() if k != "recorded_at"} for e in events)


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
) -> list[dict[str, Any]]:
    """KPI rows per bucket, oldest first, as they were known at `known_at`."""
    found = records(known_events(db, scope, scope_id, known_at))
    kind_wanted = "day" if bucket == "total" else bucket
    rows, days = [], []
    for (kind, owner, bucket_kind, begin), sums in found.items():
        text = begin.isoformat()
        if (kind, owner, bucket_kind) != (scope, scope_id, kind_wanted):
            continue
        if bucket == "total" and _within(text, start, end, None):
            days.append({"start": text, **sums})
        elif bucket != "total" and _within(text, start, end, after):
            rows.append({"start": text, **kpis(sums)})
    if bucket == "total":
        return range_total(sorted(days, key=lambda d: str(d["start"])), start, after)
    return sorted(rows, key=lambda r: str(r["start"]))[:limit]


def known_agent_totals(
    db: Database,
    team_id: str,
    start: str | None,
    end: str | None,
    known_at: str,
) -> list[dict[str, Any]]:
    """Each agent of the team with KPIs over whole days in the range, as known at `known_at`."""
    totals: dict[str, dict[str, int]] = {}
    for (kind, owner, bucket_kind, begin), sums in records(
        known_events(db, "team", team_id, known_at)
    ).items():
        if (
            kind != "agent"
            or bucket_kind != "day"
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
