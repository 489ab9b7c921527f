"""KPI reads in the caller's scope: per agent, per team, and team leaderboards."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from aggregates.errors import InvalidValue, NotFound
from aggregates.kpis import LOWER_IS_BETTER
from engine.callers import Principal
from engine.ports import KpiFigures
from engine.scope import Scope

Bound = datetime | date | None


def as_utc(value: Bound) -> str | None:
    """A query bound as the ISO text the sums are keyed by (dates mean midnight UTC)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(), tzinfo=UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def check_range(start: Bound, end: Bound) -> None:
    """Refuses a range that ends before it starts (it could only ever answer no rows)."""
    first, last = as_utc(start), as_utc(end)
    if (
        first is not None
        and last is not None
        and datetime.fromisoformat(first) > datetime.fromisoformat(last)
    ):
        raise InvalidValue("from must not be after to", field="from")


def known_at_field(as_known_at: datetime | None) -> dict[str, str]:
    return {} if as_known_at is None else {"as_known_at": str(as_utc(as_known_at))}


def next_start(rows: list[dict[str, Any]], limit: int) -> str | None:
    return str(rows[-1]["start"]) if len(rows) == limit else None


class KpiService:
    """Answers KPI questions in the caller's scope (agents: their own and their team's figures
    and rank; managers and directors: their teams')."""

    def __init__(self, figures: KpiFigures, scope: Scope) -> None:
        self.figures = figures
        self.scope = scope

    def _team_exists(self, team_id: str) -> None:
        """A team nobody has data or records for is not there (404), not a team without rows."""
        if not self.figures.team_exists(team_id):
            raise NotFound(f"no team {team_id}: it has no KPI data and no records", team_id=team_id)

    def agent(
        self,
        who: Principal,
        agent_id: str,
        start: Bound,
        end: Bound,
        bucket: str,
        limit: int,
        cursor: str | None,
        as_known_at: datetime | None,
    ) -> dict[str, Any]:
        """An agent's KPIs per bucket in [start, end), oldest first."""
        self.scope.check_agent_figures(who, agent_id, self.figures.team_of_agent)
        check_range(start, end)
        rows = self.figures.rows(
            "agent",
            agent_id,
            bucket,
            as_utc(start),
            as_utc(end),
            cursor,
            limit,
            as_utc(as_known_at),
        )
        return {
            "agent_id": agent_id,
            "bucket": bucket,
            "rows": rows,
            "next_cursor": next_start(rows, limit),
            **known_at_field(as_known_at),
        }

    def team(
        self,
        who: Principal,
        team_id: str,
        start: Bound,
        end: Bound,
        bucket: str,
        limit: int,
        cursor: str | None,
        as_known_at: datetime | None,
    ) -> dict[str, Any]:
        """A team's KPIs per bucket, computed from the team's events."""
        self.scope.check_team_figures(who, team_id)
        check_range(start, end)
        self._team_exists(team_id)
        rows = self.figures.rows(
            "team", team_id, bucket, as_utc(start), as_utc(end), cursor, limit, as_utc(as_known_at)
        )
        return {
            "team_id": team_id,
            "bucket": bucket,
            "rows": rows,
            "next_cursor": next_start(rows, limit),
            **known_at_field(as_known_at),
        }

    def leaderboard(
        self,
        who: Principal,
        team_id: str,
        kpi: str,
        start: Bound,
        end: Bound,
        as_known_at: datetime | None,
        limit: int,
        cursor: int | None,
    ) -> dict[str, Any]:
        """The team's agents ranked by one KPI; agents without data last, ties broken by agent
        id. An agent gets their own line only (with its rank) and how many agents are ranked."""
        self.scope.check_team_figures(who, team_id)
        check_range(start, end)
        self._team_exists(team_id)
        agents = self.figures.agent_totals(team_id, as_utc(start), as_utc(end), as_utc(as_known_at))
        reverse = kpi not in LOWER_IS_BETTER
        ranked = sorted(
            agents,
            key=lambda a: (
                a[kpi] is None,
                -(a[kpi] or 0) if reverse else (a[kpi] or 0),
                a["agent_id"],
            ),
        )
        first = cursor or 0
        rows = [
            {"rank": n, "agent_id": a["agent_id"], "value": a[kpi], "kpis": a}
            for n, a in enumerate(ranked[first : first + limit], start=first + 1)
        ]
        answer = {
            **known_at_field(as_known_at),
            "team_id": team_id,
            "kpi": kpi,
            "order": "descending" if reverse else "ascending",
            "rows": rows,
            "next_cursor": rows[-1]["rank"] if rows and rows[-1]["rank"] < len(ranked) else None,
        }
        if who.role == "agent":
            # Another agent's figures are theirs: an agent sees where they stand, not others.
            own = [
                {"rank": n, "agent_id": a["agent_id"], "value": a[kpi], "kpis": a}
                for n, a in enumerate(ranked, start=1)
                if a["agent_id"] == who.subject
            ]
            answer.update(rows=own, next_cursor=None, ranked=len(ranked))
        return answer
