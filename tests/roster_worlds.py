"""Rosters for the time-zone and attribution tests: two sites, four teams, a mid-quarter move.

`SwappableRoster` is the Roster port over an in-memory index that a test replaces while the
pipeline runs (a roster import, as the KPI projection sees it: the version moves).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import date, datetime

from engine.ports import Membership, RosterPerson, RosterSite, RosterTeam
from engine.roster_index import RosterIndex

BEIJING, BERLIN = "Asia/Shanghai", "Europe/Berlin"
SITES = (
    RosterSite("site-bj", "Beijing", BEIJING),
    RosterSite("site-be", "Berlin", BERLIN),
)
TEAMS = (
    RosterTeam("team-bj", "Beijing A", "site-bj", BEIJING),
    RosterTeam("team-bj2", "Beijing B", "site-bj", BEIJING),
    RosterTeam("team-be", "Berlin A", "site-be", BERLIN),
    RosterTeam("team-be2", "Berlin B", "site-be", BERLIN),
)
# The mover joins team-bj on 16 March 2026, Beijing's date: from 2026-03-15T16:00Z on.
MOVE_DAY = date(2026, 3, 16)
AGENTS = {"bj-1": "team-bj", "bj-2": "team-bj", "be-1": "team-be", "be-2": "team-be"}
MOVER = "mover"


def person(person_id: str) -> RosterPerson:
    return RosterPerson(person_id, person_id.title(), f"{person_id}@example.com", "agent")


def roster(
    memberships: Sequence[Membership],
    teams: Sequence[RosterTeam] = TEAMS,
    version: int = 1,
) -> RosterIndex:
    """A roster of these memberships (people made up from their ids)."""
    people = sorted({m.person_id for m in memberships})
    return RosterIndex([person(p) for p in people], teams, SITES, memberships, version)


def base_memberships(mover_moves: bool = True) -> list[Membership]:
    """Everyone from 2026-01-01 in their team; the mover in team-be, then team-bj from MOVE_DAY."""
    found = [Membership(a, t, date(2026, 1, 1)) for a, t in AGENTS.items()]
    found.append(Membership(MOVER, "team-be", date(2026, 1, 1)))
    if mover_moves:
        found.append(Membership(MOVER, "team-bj", MOVE_DAY))
    return found


class SwappableRoster:
    """The Roster port over an index a test can replace (each replacement a new version)."""

    def __init__(self, index: RosterIndex) -> None:
        self._index = index
        self._lock = threading.Lock()

    def replace(self, index: RosterIndex) -> None:
        with self._lock:
            self._index = index

    @property
    def index(self) -> RosterIndex:
        with self._lock:
            return self._index

    def version(self) -> int:
        return self.index.version()

    def person(self, person_id: str) -> RosterPerson | None:
        return self.index.person(person_id)

    def person_by_external_id(self, external_id: str) -> RosterPerson | None:
        return self.index.person_by_external_id(external_id)

    def person_by_email(self, email: str) -> RosterPerson | None:
        return self.index.person_by_email(email)

    def team(self, team_id: str) -> RosterTeam | None:
        return self.index.team(team_id)

    def site(self, site_id: str) -> RosterSite | None:
        return self.index.site(site_id)

    def teams(self) -> list[RosterTeam]:
        return self.index.teams()

    def memberships(self, person_id: str) -> list[Membership]:
        return self.index.memberships(person_id)

    def team_at(self, person_id: str, at: datetime) -> str | None:
        return self.index.team_at(person_id, at)

    def managed_teams(self, person_id: str) -> tuple[str, ...]:
        return self.index.managed_teams(person_id)

    def members(self, team_id: str, at: datetime) -> list[str]:
        return self.index.members(team_id, at)

    def names(self, ids: Sequence[str]) -> dict[str, str]:
        return self.index.names(ids)
