"""Roster commands of the application: an import's plan carried out on Person, Team and Site.

New aggregates are created with ids derived from their roster ids; changed ones are loaded
and changed. Saves go in chunks, so a large import shows progress and no transaction grows
without bound; the plan was checked whole before, so a chunk fails only on a conflict with a
concurrent writer, and importing the same files again completes what was left.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from eventsourcing.domain import Aggregate

from aggregates.roster import Person, Site, Team, person_uuid, site_uuid, team_uuid
from engine.roster_plan import PersonChange, RosterPlan, SiteChange, TeamChange

Progress = Callable[[str, int, int], None]
CHUNK = 1000
T = TypeVar("T")


def _quiet(label: str, done: int, total: int) -> None:
    return None


def chunked(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class RosterCommands:
    """Mixed into PerfLedger: carries out a roster plan with the actor recorded on each event."""

    # Provided by PerfLedger.
    load: Callable[..., Any]
    save_changes: Callable[..., None]

    def apply_roster(self, plan: RosterPlan, actor: str, progress: Progress = _quiet) -> None:
        """Carries out the plan: sites and teams first, then people, in chunks."""
        places: list[Aggregate] = [self._site(c, actor) for c in plan.sites]
        places += [self._team(c, actor) for c in plan.teams]
        for part in chunked(places):
            self.save_changes(*part)
        done, total = 0, len(plan.people)
        progress("people", done, total)
        for people in chunked(plan.people):
            self.save_changes(*[self._person(c, actor) for c in people])
            done += len(people)
            progress("people", done, total)

    def set_external_id(self, person_id: str, external_id: str, actor: str) -> Person:
        """Records the id the HR system or identity provider knows the person by."""
        person: Person = self.load(Person, person_uuid(person_id))
        person.update_details(
            display_name=person.display_name,
            email=person.email,
            external_id=external_id,
            actor=actor,
        )
        self.save_changes(person)
        return person

    def _site(self, change: SiteChange, actor: str) -> Site:
        if change.new:
            return Site(
                site_id=change.site_id, name=change.name, time_zone=change.time_zone, actor=actor
            )
        site: Site = self.load(Site, site_uuid(change.site_id))
        site.update(name=change.name, time_zone=change.time_zone, actor=actor)
        return site

    def _team(self, change: TeamChange, actor: str) -> Team:
        if change.new:
            team = Team(
                team_id=change.team_id,
                name=change.name,
                site_id=change.site_id,
                time_zone=change.time_zone,
                actor=actor,
            )
        else:
            team = self.load(Team, team_uuid(change.team_id))
            team.update(
                name=change.name, site_id=change.site_id, time_zone=change.time_zone, actor=actor
            )
        if change.managers is not None:
            team.set_managers(managers=list(change.managers), actor=actor)
        return team

    def _person(self, change: PersonChange, actor: str) -> Person:
        if change.new:
            person = Person(
                person_id=change.person_id,
                display_name=change.display_name,
                email=change.email,
                role=change.role,
                external_id="",
                manages=list(change.manages),
                actor=actor,
            )
        else:
            person = self.load(Person, person_uuid(change.person_id))
            person.update_details(
                display_name=change.display_name,
                email=change.email,
                external_id=person.external_id,
                actor=actor,
            )
            person.change_role(role=change.role, actor=actor)
            person.set_manages(manages=list(change.manages), actor=actor)
        for team_id, day in change.joins:
            person.join(team_id=team_id, effective_from=day, actor=actor)
        return person
