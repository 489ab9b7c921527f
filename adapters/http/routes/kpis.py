"""KPI reads: the KPI catalogue, KPIs per agent and per team, and team leaderboards."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import AfterValidator

from adapters.http.auth import CurrentPrincipal
from adapters.http.routes.common import Services
from adapters.sql.kpi_asof import known_agent_totals, known_rows
from adapters.sql.kpi_queries import agent_totals, kpi_rows, team_of_agent
from adapters.sql.queries import team_exists
from aggregates.errors import InvalidValue, NotFound
from aggregates.kpis import CATALOGUE, KPI_NAMES, LOWER_IS_BETTER
from engine.commands import EARLIEST_DAY, LATEST_DAY, Day, Moment, day_in_window, moment_in_window
from engine.scope import Forbidden
from engine.tokens import Principal

router = APIRouter(tags=["kpis"])


def in_window(value: datetime | date | None) -> datetime | date | None:
    """Bounds beyond the window would overflow bucket arithmetic; nothing is recorded there."""
    if isinstance(value, datetime):
        return moment_in_window(value)
    return value if value is None else day_in_window(value)


WINDOW = f"; between {EARLIEST_DAY} and {LATEST_DAY}"
From = Annotated[datetime | date | None, Query(alias="from", description="first bucket start (inclusive)" + WINDOW),
                 AfterValidator(in_window)]
To = Annotated[datetime | date | None, Query(alias="to", description="bucket starts before this" + WINDOW),
               AfterValidator(in_window)]
FromDay = Annotated[Day | None, Query(alias="from", description="first day (inclusive)" + WINDOW)]
ToDay = Annotated[Day | None, Query(alias="to", description="days before this" + WINDOW)]
KnownAt = Annotated[Moment | None, Query(description="the numbers as known at this moment" + WINDOW)]
RowLimit = Annotated[int, Query(ge=1, le=10000)]
RankLimit = Annotated[int, Query(ge=1, le=10000)]
RankCursor = Annotated[int | None, Query(ge=1, description="the last rank of the previous page")]
# `total`: one row for the whole [from, to) range, summed from days.
Bucket = Literal["interval", "day", "week", "month", "total"]


def as_utc(value: datetime | date | None) -> str | None:
    """A query bound as the ISO text the sums are keyed by (dates mean midnight UTC)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(), tzinfo=UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def check_team(who: Principal, team_id: str | None) -> None:
    if who.role in ("admin", "auditor"):
        return
    if who.role == "manager" and team_id in who.teams:
        return
    raise Forbidden("outside your scope")


def check_range(start: datetime | date | None, end: datetime | date | None) -> None:
    """Refuses a range that ends before it starts (it could only ever answer no rows)."""
    first, last = as_utc(start), as_utc(end)
    if first is not None and last is not None and datetime.fromisoformat(first) > datetime.fromisoformat(last):
        raise InvalidValue("from must not be after to", field="from")


def check_team_exists(services: Any, team_id: str) -> None:
    """A team nobody has data or records for is not there (404), not a team without rows."""
    if not team_exists(services.db, team_id):
        raise NotFound(f"no team {team_id}: it has no KPI data and no records", team_id=team_id)


def read_rows(
    services: Any, scope: str, scope_id: str, bucket: str, start: str | None, end: str | None,
    cursor: str | None, limit: int, as_known_at: datetime | None,
) -> list[dict[str, Any]]:
    """Rows from the live sums, or recomputed from the archive as known at a moment."""
    if as_known_at is None:
        return kpi_rows(services.db, scope, scope_id, bucket, start, end, cursor, limit)
    return known_rows(services.db, scope, scope_id, bucket, start, end, cursor, limit, str(as_utc(as_known_at)))


def known_at_field(as_known_at: datetime | None) -> dict[str, str]:
    return {} if as_known_at is None else {"as_known_at": str(as_utc(as_known_at))}


def page(rows: list[dict[str, Any]], limit: int) -> str | None:
    return str(rows[-1]["start"]) if len(rows) == limit else None


@router.get("/v1/kpis")
def kpi_catalogue(who: CurrentPrincipal) -> dict[str, Any]:
    """The KPIs the product computes: name, label, unit, format, better direction, sums, definition."""
    del who  # any authenticated role may read the catalogue
    return {"items": [kpi.describe() for kpi in CATALOGUE]}


@router.get("/v1/agents/{agent_id}/kpis")
def agent_kpis(
    agent_id: str, who: CurrentPrincipal, services: Services,
    start: From = None, end: To = None, bucket: Bucket = "day", limit: RowLimit = 1000, cursor: str | None = None,
    as_known_at: KnownAt = None,
) -> dict[str, Any]:
    """An agent's KPIs per bucket in [from, to), oldest first; null where there is no data."""
    if not (who.role == "agent" and who.subject == agent_id):
        if who.role == "agent":
            raise Forbidden("agents read only their own KPIs")
        check_team(who, team_of_agent(services.db, agent_id) if who.role == "manager" else None)
    check_range(start, end)
    rows = read_rows(services, "agent", agent_id, bucket, as_utc(start), as_utc(end), cursor, limit, as_known_at)
    return {"agent_id": agent_id, "bucket": bucket, "rows": rows, "next_cursor": page(rows, limit),
            **known_at_field(as_known_at)}


@router.get("/v1/teams/{team_id}/kpis")
def team_kpis(
    team_id: str, who: CurrentPrincipal, services: Services,
    start: From = None, end: To = None, bucket: Bucket = "day", limit: RowLimit = 1000, cursor: str | None = None,
    as_known_at: KnownAt = None,
) -> dict[str, Any]:
    """A team's KPIs per bucket, computed from the team's events (never averages of averages)."""
    check_team(who, team_id)
    check_range(start, end)
    check_team_exists(services, team_id)
    rows = read_rows(services, "team", team_id, bucket, as_utc(start), as_utc(end), cursor, limit, as_known_at)
    return {"team_id": team_id, "bucket": bucket, "rows": rows, "next_cursor": page(rows, limit),
            **known_at_field(as_known_at)}


@router.get("/v1/teams/{team_id}/leaderboard")
def leaderboard(
    team_id: str, who: CurrentPrincipal, services: Services,
    kpi: Literal[KPI_NAMES] = "aht_seconds",  # type: ignore[valid-type]
    start: FromDay = None, end: ToDay = None,
    as_known_at: KnownAt = None,
    limit: RankLimit = 100,
    cursor: RankCursor = None,
) -> dict[str, Any]:
    """The team's agents ranked by one KPI over whole days in [from, to); agents without data last.

    Ties are broken by agent id, so ranks are stable and `cursor` (the last rank seen) pages on.
    """
    check_team(who, team_id)
    check_range(start, end)
    check_team_exists(services, team_id)
    if as_known_at is None:
        agents = agent_totals(services.db, team_id, as_utc(start), as_utc(end))
    else:
        agents = known_agent_totals(services.db, team_id, as_utc(start), as_utc(end), str(as_utc(as_known_at)))
    reverse = kpi not in LOWER_IS_BETTER
    ranked = sorted(
        agents,
        key=lambda a: (a[kpi] is None, -(a[kpi] or 0) if reverse else (a[kpi] or 0), a["agent_id"]),
    )
    first = cursor or 0
    rows = [{"rank": n, "agent_id": a["agent_id"], "value": a[kpi], "kpis": a}
            for n, a in enumerate(ranked[first:first + limit], start=first + 1)]
    return {
        **known_at_field(as_known_at),
        "team_id": team_id, "kpi": kpi, "order": "descending" if reverse else "ascending",
        "rows": rows,
        "next_cursor": rows[-1]["rank"] if rows and rows[-1]["rank"] < len(ranked) else None,
    }
