"""KPI reads: the KPI catalogue, KPIs per agent and per team, and team leaderboards."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import AfterValidator

from adapters.http.auth import CurrentPrincipal
from adapters.http.routes.common import AppServices
from aggregates.kpis import CATALOGUE, KPI_NAMES
from engine.commands import EARLIEST_DAY, LATEST_DAY, Day, Moment, day_in_window, moment_in_window

router = APIRouter(tags=["kpis"])


def in_window(value: datetime | date | None) -> datetime | date | None:
    """Bounds beyond the window would overflow bucket arithmetic; nothing is recorded there."""
    if isinstance(value, datetime):
        return moment_in_window(value)
    return value if value is None else day_in_window(value)


WINDOW = f"; between {EARLIEST_DAY} and {LATEST_DAY}"
From = Annotated[
    datetime | date | None,
    Query(alias="from", description="first bucket start (inclusive)" + WINDOW),
    AfterValidator(in_window),
]
To = Annotated[
    datetime | date | None,
    Query(alias="to", description="bucket starts before this" + WINDOW),
    AfterValidator(in_window),
]
FromDay = Annotated[Day | None, Query(alias="from", description="first day (inclusive)" + WINDOW)]
ToDay = Annotated[Day | None, Query(alias="to", description="days before this" + WINDOW)]
KnownAt = Annotated[
    Moment | None, Query(description="the numbers as known at this moment" + WINDOW)
]
TimeZone = Annotated[
    str | None,
    Query(
        description=(
            "IANA time zone to cut days, weeks and months in (default: the team's; UTC allowed)"
        ),
        max_length=64,
        examples=["Asia/Shanghai", "UTC"],
    ),
]
RowLimit = Annotated[int, Query(ge=1, le=10000)]
RankLimit = Annotated[int, Query(ge=1, le=10000)]
RankCursor = Annotated[int | None, Query(ge=1, description="the last rank of the previous page")]
# `total`: one row for the whole [from, to) range, summed from days.
Bucket = Literal["interval", "day", "week", "month", "total"]


@router.get("/v1/kpis")
def kpi_catalogue(who: CurrentPrincipal) -> dict[str, Any]:
    """The KPIs the product computes: name, label, unit, format, better direction, sums,
    definition."""
    del who  # any authenticated role may read the catalogue
    return {"items": [kpi.describe() for kpi in CATALOGUE]}


@router.get("/v1/agents/{agent_id}/kpis")
def agent_kpis(
    agent_id: str,
    who: CurrentPrincipal,
    services: AppServices,
    start: From = None,
    end: To = None,
    bucket: Bucket = "day",
    limit: RowLimit = 1000,
    cursor: str | None = None,
    as_known_at: KnownAt = None,
    tz: TimeZone = None,
) -> dict[str, Any]:
    """An agent's KPIs per bucket in [from, to), oldest first; null where there is no data.

    Days are cut at midnight in the agent's team's time zone (or `tz`); `time_zone` names it.
    """
    return services.kpis.agent(who, agent_id, start, end, bucket, limit, cursor, as_known_at, tz)


@router.get("/v1/teams/{team_id}/kpis")
def team_kpis(
    team_id: str,
    who: CurrentPrincipal,
    services: AppServices,
    start: From = None,
    end: To = None,
    bucket: Bucket = "day",
    limit: RowLimit = 1000,
    cursor: str | None = None,
    as_known_at: KnownAt = None,
    tz: TimeZone = None,
) -> dict[str, Any]:
    """A team's KPIs per bucket, computed from the team's events (never averages of averages).

    Days are cut at midnight in the team's time zone (or `tz`); `time_zone` names it.
    """
    return services.kpis.team(who, team_id, start, end, bucket, limit, cursor, as_known_at, tz)


@router.get("/v1/teams/{team_id}/leaderboard")
def leaderboard(
    team_id: str,
    who: CurrentPrincipal,
    services: AppServices,
    kpi: Literal[KPI_NAMES] = "aht_seconds",  # type: ignore[valid-type]
    start: FromDay = None,
    end: ToDay = None,
    as_known_at: KnownAt = None,
    limit: RankLimit = 100,
    cursor: RankCursor = None,
    tz: TimeZone = None,
) -> dict[str, Any]:
    """The team's agents ranked by one KPI over whole days in [from, to); agents without data last.

    Ties are broken by agent id, so ranks are stable and `cursor` (the last rank seen) pages on.
    """
    return services.kpis.leaderboard(who, team_id, kpi, start, end, as_known_at, limit, cursor, tz)
