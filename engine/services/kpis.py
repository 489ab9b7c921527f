"""KPI reads in the caller's scope: per agent, per team, and team leaderboards."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aggregates.errors import InvalidValue, NotFound
from aggregates.kpis import LOWER_IS_BETTER
from engine.ports import KpiFigures, Roster
from engine.roster_index import RosterIndex
from engine.scope import Forbidden, check_team_kpis
from engine.tokens import Principal

Bound = datetime | date | None
UTC_NAME = "UTC"
MIXED = ""  # stored days cut in more than one zone: no zone is served from them


def as_utc(value: Bound, zone: str = UTC_NAME) -> str | None:
    """A query bound as the ISO text the sums are keyed by (dates and naive times are read in
    the zone: a date means its local midnight)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(), tzinfo=zone_info(zone))
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone_info(zone))
    return value.astimezone(UTC).isoformat()


def zone_info(name: str) -> ZoneInfo:
    """The IANA zone of that name; an unknown one is a 422 on the `tz` field."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidValue(
            f"unknown time zone {name!r}: an IANA name such as Asia/Shanghai, or UTC", field="tz"
        ) from error


def cursor_utc(cursor: str | None) -> str | None:
    """A bucket start shown with any offset (as `next_cursor` gives it) as the UTC key."""
    if cursor is None:
        return None
    try:
        moment = datetime.fromisoformat(cursor)
    except ValueError as error:
        raise InvalidValue("a bucket start as next_cursor gave it", field="cursor") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def check_range(start: Bound, end: Bound, zone: str = UTC_NAME) -> None:
    """Refuses a range that ends before it starts (it could only ever answer no rows)."""
    first, last = as_utc(start, zone), as_utc(end, zone)
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


class Zones:
    """The time zone each team's days are cut in, and an agent's, from the roster."""

    def __init__(self, roster: Roster, figures: KpiFigures) -> None:
        self.roster = roster
        self.figures = figures

    def of_team(self, team_id: str | None) -> str:
        team = self.roster.team(team_id) if team_id else None
        return team.time_zone if team else UTC_NAME

    def of_agent(self, agent_id: str) -> tuple[str, str]:
        """The zone of the agent's team now, and the zone its stored days are cut in (MIXED
        when its memberships span zones)."""
        now = self.roster.team_at(agent_id, datetime.now(UTC))
        memberships = self.roster.memberships(agent_id)
        if not memberships:
            zone = self.of_team(now or self.figures.team_of_agent(agent_id))
            return zone, zone
        zones = {self.of_team(m.team_id) for m in memberships}
        zone = self.of_team(now or memberships[-1].team_id)
        return zone, zone if len(zones) == 1 else MIXED


class KpiService:
    """Answers KPI questions in the caller's scope (agents: their own; managers: their teams')."""

    def __init__(self, figures: KpiFigures, roster: Roster | None = None) -> None:
        self.figures = figures
        self.zones = Zones(RosterIndex() if roster is None else roster, figures)

    def _team_exists(self, team_id: str) -> None:
        """A team nobody has data or records for is not there (404), not a team without rows."""
        if self.zones.roster.team(team_id) is None and not self.figures.team_exists(team_id):
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
        tz: str | None = None,
    ) -> dict[str, Any]:
        """An agent's KPIs per bucket in [start, end), oldest first, days cut in its team's zone
        (or `tz`)."""
        if not (who.role == "agent" and who.subject == agent_id):
            if who.role == "agent":
                raise Forbidden("agents read only their own KPIs")
            check_team_kpis(
                who, self.figures.team_of_agent(agent_id) if who.role == "manager" else None
            )
        own, stored = self.zones.of_agent(agent_id)
        zone = own if tz is None else zone_info(tz).key
        check_range(start, end, zone)
        rows = self.figures.rows(
            "agent",
            agent_id,
            bucket,
            as_utc(start, zone),
            as_utc(end, zone),
            cursor_utc(cursor),
            limit,
            as_utc(as_known_at),
            zone,
            stored,
        )
        return {
            "agent_id": agent_id,
            "bucket": bucket,
            "time_zone": zone,
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
        tz: str | None = None,
    ) -> dict[str, Any]:
        """A team's KPIs per bucket, computed from the team's events, days cut in its zone (or
        `tz`)."""
        check_team_kpis(who, team_id)
        stored = self.zones.of_team(team_id)
        zone = stored if tz is None else zone_info(tz).key
        check_range(start, end, zone)
        self._team_exists(team_id)
        rows = self.figures.rows(
            "team",
            team_id,
            bucket,
            as_utc(start, zone),
            as_utc(end, zone),
            cursor_utc(cursor),
            limit,
            as_utc(as_known_at),
            zone,
            stored,
        )
        flagged = self.figures.team_mismatches(team_id, as_utc(start, zone), as_utc(end, zone))
        return {
            "team_id": team_id,
            "bucket": bucket,
            "time_zone": zone,
            # Events counted here whose telephony team was another (GET
            # /v1/telephony/team-mismatches lists them).
            "telephony_team_mismatches": flagged,
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
        tz: str | None = None,
    ) -> dict[str, Any]:
        """The team's agents ranked by one KPI over the team's local days; agents without data
        last, ties broken by agent id."""
        check_team_kpis(who, team_id)
        stored = self.zones.of_team(team_id)
        zone = stored if tz is None else zone_info(tz).key
        check_range(start, end, zone)
        self._team_exists(team_id)
        agents = self.figures.agent_totals(
            team_id, as_utc(start, zone), as_utc(end, zone), as_utc(as_known_at), zone, stored
        )
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
        return {
            **known_at_field(as_known_at),
            "team_id": team_id,
            "time_zone": zone,
            "kpi": kpi,
            "order": "descending" if reverse else "ascending",
            "rows": rows,
            "next_cursor": rows[-1]["rank"] if rows and rows[-1]["rank"] < len(ranked) else None,
        }
