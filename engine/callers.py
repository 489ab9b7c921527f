"""Who is calling: a token's subject resolved against the roster at the moment of the request.

A token says who the caller is; the roster says what they are now (role, the teams they manage,
a director's sites, an agent's team). Moving a manager in the roster therefore takes effect at
the next request. Principals outside the roster keep the token's role only for the service
roles (admin, auditor, ingest); a manager, director or agent must be on the roster.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from engine.ports import RosterFeed

# Roles a principal outside the roster may hold: operators, auditors and machines.
SERVICE_ROLES: tuple[str, ...] = ("admin", "auditor", "ingest")
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current instant, in UTC."""
    return datetime.now(UTC)


class Forbidden(Exception):
    """A valid caller whose role or scope does not allow this (403)."""


class NotOnRoster(Forbidden):
    """A token whose subject the roster does not know, for a role only roster people hold."""


class Unidentified(Exception):
    """A token naming neither a person of the roster nor a role: nobody to act as (401)."""


class Claims(Protocol):
    """What a verified token says: who (subject) and, optionally, in which role."""

    @property
    def subject(self) -> str: ...

    @property
    def role(self) -> str | None: ...


@dataclass(frozen=True)
class Principal:
    """The caller as the roster describes them now: the actor recorded on every event it causes.

    `teams`: the teams a manager manages, or a director's teams (those of their sites);
    `sites`: a director's sites (empty: the whole centre); `team`: the caller's own team now.
    """

    role: str
    subject: str
    teams: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()
    team: str | None = None

    @property
    def actor(self) -> str:
        return f"{self.role}:{self.subject}"

    @property
    def reads_everything(self) -> bool:
        """Admins, auditors and a director of the whole centre read every record."""
        return self.role in ("admin", "auditor") or (self.role == "director" and not self.sites)


class Callers:
    """Resolves a token's claims into the Principal the roster makes of them now."""

    def __init__(self, feed: RosterFeed, clock: Clock = utc_now) -> None:
        self.feed = feed
        self.clock = clock

    def principal(self, claims: Claims) -> Principal:
        """The caller now; raises NotOnRoster for a roster role whose subject is not on it."""
        roster = self.feed.catch_up()  # one consistent roster for the whole resolution
        person = roster.person(claims.subject)
        if person is None:
            role = claims.role
            if role in SERVICE_ROLES:
                return Principal(role, claims.subject)
            if role is None:
                raise Unidentified(
                    f"the token of {claims.subject} names no role and {claims.subject} is not "
                    "on the roster"
                )
            raise NotOnRoster(
                f"{claims.subject} is not on the roster: a {role} must be imported into the "
                "roster (perfledger roster import) before signing in"
            )
        team = roster.team_at(person.person_id, self.clock())
        if person.role == "manager":
            managed = roster.managed_teams(person.person_id)
            return Principal(person.role, person.person_id, managed, team=team)
        if person.role == "director":
            sites = tuple(sorted(person.sites))
            teams = tuple(t.team_id for t in roster.teams() if t.site_id in sites)
            return Principal(person.role, person.person_id, teams, sites, team)
        return Principal(person.role, person.person_id, team=team)
