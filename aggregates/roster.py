"""The roster: persons, teams and sites, each an aggregate, every change recorded with its actor.

Ids are derived from the roster's own ids (`person_uuid`, `team_uuid`, `site_uuid`), so
creating the same person twice is refused by the event store's uniqueness, and a retried
import finds what the first attempt stored. Every method that changes something returns
True, and False (recording nothing) when the value is already the one asked for: an import
of the same files twice changes nothing.

A person's memberships are effective-dated: `join` records that from a local date (in the
joined team's time zone) on, the person belongs to that team. A later date is a move; the
same date again with another team corrects that date's team; the same date and team is no
change.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5
from zoneinfo import available_timezones

from eventsourcing.domain import Aggregate, event

from aggregates.errors import InvalidValue

ROSTER_NAMESPACE = uuid5(NAMESPACE_URL, "perfledger:roster")
# The roles of roster persons (engine/ports.py ROSTER_ROLES says the same; a test holds that).
ROLES = ("agent", "manager", "director", "auditor", "admin")
# Roles whose roster line may name teams under `manages`.
MANAGING_ROLES = ("manager", "director")


def person_uuid(person_id: str) -> UUID:
    """The aggregate id of the roster person with that id."""
    return uuid5(ROSTER_NAMESPACE, f"person:{person_id}")


def team_uuid(team_id: str) -> UUID:
    """The aggregate id of the roster team with that id."""
    return uuid5(ROSTER_NAMESPACE, f"team:{team_id}")


def site_uuid(site_id: str) -> UUID:
    """The aggregate id of the roster site with that id."""
    return uuid5(ROSTER_NAMESPACE, f"site:{site_id}")


# Files of the system's zone directory that are no zone of the IANA database's own.
NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@lru_cache(maxsize=1)
def zone_names() -> frozenset[str]:
    """Every IANA time zone name this machine knows."""
    return frozenset(available_timezones()) - NOT_ZONES


def is_zone(name: str) -> bool:
    """True when the name is an IANA time zone (not a file path or an alias of the system)."""
    return name in zone_names()


def check_zone(name: str, field: str = "time_zone") -> None:
    """Refuses a name that is not an IANA time zone."""
    if not is_zone(name):
        raise InvalidValue(f"{name!r} is not an IANA time zone name", field=field)


def check_role(role: str) -> None:
    """Refuses a role that is not a roster role."""
    if role not in ROLES:
        raise InvalidValue(f"role must be one of {', '.join(ROLES)}, not {role!r}", field="role")


def check_id(value: str, field: str) -> None:
    """Refuses an empty or unprintable roster id."""
    if not value or not value.isprintable() or value != value.strip():
        raise InvalidValue(
            f"{field} must be printable text without surrounding spaces", field=field
        )


class Person(Aggregate):
    """A person of the roster: name, e-mail, external id, role, teams managed, memberships."""

    @classmethod
    def create_id(cls, *, person_id: str, **_: Any) -> UUID:
        return person_uuid(person_id)

    @event("Registered")
    def __init__(
        self,
        *,
        person_id: str,
        display_name: str,
        email: str,
        role: str,
        external_id: str,
        manages: list[str],
        actor: str,
    ) -> None:
        check_id(person_id, "person_id")
        check_role(role)
        self.person_id = person_id
        self.display_name = display_name
        self.email = email
        self.role = role
        self.external_id = external_id
        self.manages = list(manages)
        self.memberships: list[dict[str, Any]] = []

    def update_details(
        self, *, display_name: str, email: str, external_id: str, actor: str
    ) -> bool:
        """Changes the name, e-mail and external id; False when they are the same already."""
        if (display_name, email, external_id) == (self.display_name, self.email, self.external_id):
            return False
        self._details_changed(
            display_name=display_name, email=email, external_id=external_id, actor=actor
        )
        return True

    @event("DetailsChanged")
    def _details_changed(
        self, *, display_name: str, email: str, external_id: str, actor: str
    ) -> None:
        self.display_name = display_name
        self.email = email
        self.external_id = external_id

    def change_role(self, *, role: str, actor: str) -> bool:
        """Gives the person another role; False when it is theirs already."""
        check_role(role)
        if role == self.role:
            return False
        self._role_changed(before=self.role, after=role, actor=actor)
        return True

    @event("RoleChanged")
    def _role_changed(self, *, before: str, after: str, actor: str) -> None:
        self.role = after

    def set_manages(self, *, manages: list[str], actor: str) -> bool:
        """Sets the teams the person's roster line names under `manages`."""
        if list(manages) == self.manages:
            return False
        self._manages_changed(before=self.manages, after=list(manages), actor=actor)
        return True

    @event("ManagesChanged")
    def _manages_changed(self, *, before: list[str], after: list[str], actor: str) -> None:
        self.manages = list(after)

    def join(self, *, team_id: str, effective_from: date, actor: str) -> bool:
        """Records membership of a team from a local date on; False when recorded already."""
        check_id(team_id, "team_id")
        if self.team_from(effective_from) == team_id:
            return False
        self._team_joined(team_id=team_id, effective_from=effective_from, actor=actor)
        return True

    @event("TeamJoined")
    def _team_joined(self, *, team_id: str, effective_from: date, actor: str) -> None:
        kept = [m for m in self.memberships if m["effective_from"] != effective_from]
        kept.append({"team_id": team_id, "effective_from": effective_from})
        self.memberships = sorted(kept, key=lambda m: m["effective_from"])

    def team_from(self, effective_from: date) -> str | None:
        """The team of the membership starting on that date, if one does."""
        for membership in self.memberships:
            if membership["effective_from"] == effective_from:
                return str(membership["team_id"])
        return None


class Team(Aggregate):
    """A team of the roster: its name, site, IANA time zone and managers."""

    @classmethod
    def create_id(cls, *, team_id: str, **_: Any) -> UUID:
        return team_uuid(team_id)

    @event("Registered")
    def __init__(
        self, *, team_id: str, name: str, site_id: str, time_zone: str, actor: str
    ) -> None:
        check_id(team_id, "team_id")
        check_id(site_id, "site")
        check_zone(time_zone)
        self.team_id = team_id
        self.name = name
        self.site_id = site_id
        self.time_zone = time_zone
        self.managers: list[str] = []

    def update(self, *, name: str, site_id: str, time_zone: str, actor: str) -> bool:
        """Renames, moves to another site or time zone; False when nothing differs."""
        if (name, site_id, time_zone) == (self.name, self.site_id, self.time_zone):
            return False
        check_id(site_id, "site")
        check_zone(time_zone)
        self._changed(name=name, site_id=site_id, time_zone=time_zone, actor=actor)
        return True

    @event("Changed")
    def _changed(self, *, name: str, site_id: str, time_zone: str, actor: str) -> None:
        self.name = name
        self.site_id = site_id
        self.time_zone = time_zone

    def set_managers(self, *, managers: list[str], actor: str) -> bool:
        """Names the team's managers (person ids, in order); False when they are the same."""
        chosen = sorted(set(managers))
        if chosen == self.managers:
            return False
        self._managers_changed(before=self.managers, after=chosen, actor=actor)
        return True

    @event("ManagersChanged")
    def _managers_changed(self, *, before: list[str], after: list[str], actor: str) -> None:
        self.managers = list(after)


class Site(Aggregate):
    """A site of the centre: its name and IANA time zone."""

    @classmethod
    def create_id(cls, *, site_id: str, **_: Any) -> UUID:
        return site_uuid(site_id)

    @event("Registered")
    def __init__(self, *, site_id: str, name: str, time_zone: str, actor: str) -> None:
        check_id(site_id, "site")
        check_zone(time_zone)
        self.site_id = site_id
        self.name = name
        self.time_zone = time_zone

    def update(self, *, name: str, time_zone: str, actor: str) -> bool:
        """Renames the site or gives it another time zone; False when nothing differs."""
        if (name, time_zone) == (self.name, self.time_zone):
            return False
        check_zone(time_zone)
        self._changed(name=name, time_zone=time_zone, actor=actor)
        return True

    @event("Changed")
    def _changed(self, *, name: str, time_zone: str, actor: str) -> None:
        self.name = name
        self.time_zone = time_zone


ROSTER_AGGREGATES: tuple[type[Aggregate], ...] = (Person, Team, Site)
