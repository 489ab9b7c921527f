"""Which team an event counts for, and where a team's days begin: local midnight in its zone.

The roster says which team an agent belonged to at an instant and each team's IANA time zone;
the projection asks through an `Attribution` (two plain functions, so this module needs nothing
of the engine). An agent the roster does not know counts for the team telephony names, and a
team the roster does not know is cut in UTC. When the roster and telephony disagree the event
counts for the roster's team, and the pair (telephony's team, the roster's) is kept beside the
sums so the disagreement is flagged (adapters/sql/kpi_attribution.py).

Buckets: 15-minute intervals stay aligned to UTC. Every offset in use is a whole number of
quarter hours, so each local midnight is an interval boundary and a local day is an exact set
of intervals: 92 on a 23-hour daylight-saving day, 100 on a 25-hour one. Bucket starts are
kept as the UTC instants of those local midnights, so stored starts of every zone sort and
compare as one timeline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC_ZONE = "UTC"
INTERVAL_SECONDS = 900
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

TeamAt = Callable[[str, datetime], "str | None"]
ZoneOf = Callable[[str], str]
Starts = tuple[datetime, datetime, datetime, datetime]


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """The IANA zone of that name; raises UnknownZone for a name the zone database lacks."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise UnknownZone(name) from error


class UnknownZone(ValueError):
    """A time zone name that is not in the IANA database."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin")
        self.name = name


def is_zone(name: str) -> bool:
    """True for a name the IANA zone database knows."""
    try:
        zone(name)
    except UnknownZone:
        return False
    return True


def local_midnight(day: date, zone_name: str) -> datetime:
    """The UTC instant at which `day` begins in the zone (the first instant, if midnight
    repeats)."""
    # A midnight skipped by a daylight-saving jump reads with the offset before the jump,
    # which is the instant of the jump itself: the day starts when the clock says it does.
    return datetime(day.year, day.month, day.day, tzinfo=zone(zone_name)).astimezone(UTC)


def local_date(at: datetime, zone_name: str) -> date:
    """The calendar date of an instant in the zone."""
    return at.astimezone(zone(zone_name)).date()


def interval_index(at: datetime) -> int:
    """The number of the 15-minute UTC interval holding an aware instant."""
    if at.utcoffset() is None:  # timestamp() would silently read it as local time
        raise ValueError("a naive datetime has no place in buckets")
    return int(at.timestamp() // INTERVAL_SECONDS)


def starts(at: datetime, zone_name: str = UTC_ZONE) -> Starts:
    """Interval, day, week and month starts of an instant, days cut at midnight in the zone."""
    return starts_of_interval(interval_index(at), zone_name)


@lru_cache(maxsize=1 << 17)
def starts_of_interval(index: int, zone_name: str = UTC_ZONE) -> Starts:
    """The bucket starts of interval number `index` (cached: the hot loop does no calendar
    arithmetic)."""
    interval = _EPOCH + timedelta(seconds=index * INTERVAL_SECONDS)
    if zone_name == UTC_ZONE:
        day = interval.replace(hour=0, minute=0)
        week = day - timedelta(days=day.weekday())
        return interval, day, week, day.replace(day=1)
    local = local_date(interval, zone_name)
    return (
        interval,
        local_midnight(local, zone_name),
        local_midnight(local - timedelta(days=local.weekday()), zone_name),
        local_midnight(local.replace(day=1), zone_name),
    )


def shown(start: datetime | str, zone_name: str) -> str:
    """A bucket start as ISO text with the zone's offset at that instant."""
    instant = start if isinstance(start, datetime) else datetime.fromisoformat(start)
    return instant.astimezone(zone(zone_name)).isoformat()


@dataclass(frozen=True)
class Attribution:
    """The team an agent's event counts for at an instant, and each team's time zone."""

    team_at: TeamAt
    zone_of: ZoneOf

    def team(self, agent: str, telephony_team: str, at: datetime) -> str:
        """The roster's team of the agent at `at`, else the team telephony named."""
        return self.team_at(agent, at) or telephony_team


def _nobody(agent: str, at: datetime) -> str | None:
    del agent, at
    return None


def _utc(team: str) -> str:
    del team
    return UTC_ZONE


# No roster: every event counts for the team telephony names, every day is cut in UTC.
AS_TELEPHONY_SAYS = Attribution(_nobody, _utc)
