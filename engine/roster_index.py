"""The roster held in memory: the answers of the Roster port (engine/ports.py) over plain data.

The SQL adapter loads its tables into one of these whenever the roster's version moves, and
tests/fakes.py builds one directly, so both answer membership questions by the same code.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from engine.ports import Membership, RosterPerson, RosterSite, RosterTeam

UTC_NAME = "UTC"


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """The IANA time zone of that name (cached: zones are immutable)."""
    return ZoneInfo(name)


def membership_start(membership: Membership, time_zone: str) -> datetime:
    """The instant a membership starts: local midnight of its date in the team's zone (UTC)."""
    local = datetime.combine(membership.effective_from, time(0), tzinfo=zone(time_zone))
    return local.astimezone(UTC)


class RosterIndex:
    """The Roster port over in-memory data; `version` is whatever the loader says it is."""

    def __init__(
        self,
        people: Iterable[RosterPerson] = (),
        teams: Iterable[RosterTeam] = (),
        sites: Iterable[RosterSite] = (),
        memberships: Iterable[Membership] = (),
        version: int = 0,
    ) -> None:
        self._version = version
        self._people = {p.person_id: p for p in people}
        self._teams = {t.team_id: t for t in teams}
        self._sites = {s.site_id: s for s in sites}
        self._by_external = {p.external_id: p for p in self._people.values() if p.external_id}
        self._by_email = {p.email.lower(): p for p in self._people.values() if p.email}
        spans: dict[str, list[tuple[datetime, Membership]]] = {}
        for m in memberships:
            spans.setdefault(m.person_id, []).append((membership_start(m, self.zone_of(m)), m))
        self._spans = {pid: sorted(rows, key=lambda r: r[0]) for pid, rows in spans.items()}
        self._starts = {pid: [start for start, _ in rows] for pid, rows in self._spans.items()}
        managed: dict[str, list[str]] = {}
        for team in self._teams.values():
            for manager in team.managers:
                managed.setdefault(manager, []).append(team.team_id)
        self._managed = {pid: tuple(sorted(ids)) for pid, ids in managed.items()}

    def zone_of(self, membership: Membership) -> str:
        team = self._teams.get(membership.team_id)
        return team.time_zone if team else UTC_NAME

    def version(self) -> int:
        return self._version

    def person(self, person_id: str) -> RosterPerson | None:
        return self._people.get(person_id)

    def person_by_external_id(self, external_id: str) -> RosterPerson | None:
        return self._by_external.get(external_id)

    def person_by_email(self, email: str) -> RosterPerson | None:
        return self._by_email.get(email.lower())

    def team(self, team_id: str) -> RosterTeam | None:
        return self._teams.get(team_id)

    def site(self, site_id: str) -> RosterSite | None:
        return self._sites.get(site_id)

    def teams(self) -> list[RosterTeam]:
        return [self._teams[k] for k in sorted(self._teams)]

    def people(self) -> list[RosterPerson]:
        return [self._people[k] for k in sorted(self._people)]

    def sites(self) -> list[RosterSite]:
        return [self._sites[k] for k in sorted(self._sites)]

    def memberships(self, person_id: str) -> list[Membership]:
        return [m for _, m in self._spans.get(person_id, [])]

    def team_at(self, person_id: str, at: datetime) -> str | None:
        starts = self._starts.get(person_id)
        if not starts:
            return None
        i = bisect_right(starts, at)
        return self._spans[person_id][i - 1][1].team_id if i else None

    def managed_teams(self, person_id: str) -> tuple[str, ...]:
        return self._managed.get(person_id, ())

    def members(self, team_id: str, at: datetime) -> list[str]:
        return sorted(pid for pid in self._spans if self.team_at(pid, at) == team_id)

    def names(self, ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for i in ids:
            if i in self._people:
                found[i] = self._people[i].display_name
            elif i in self._teams:
                found[i] = self._teams[i].name
            elif i in self._sites:
                found[i] = self._sites[i].name
        return found
