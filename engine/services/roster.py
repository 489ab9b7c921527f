"""The roster: import and export of its files (admins), and its people, teams and sites to read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aggregates.errors import InvalidValue, NotFound
from engine.application import PerfLedger
from engine.ports import Roster, RosterFeed, RosterPerson, RosterTeam
from engine.roster_csv import (
    PEOPLE_COLUMNS,
    TEAM_COLUMNS,
    Parsed,
    PersonRow,
    Problem,
    RosterProblems,
    TeamRow,
    parse_people,
    parse_teams,
    write_csv,
)
from engine.roster_plan import plan
from engine.scope import Forbidden, require_role
from engine.tokens import Principal

Progress = Callable[[str, int, int], None]
FILES = ("teams", "people")
# Who reads every person of the roster (the scope rules of the roster refine the others').
READ_ALL = ("admin", "auditor", "director")


def _quiet(label: str, done: int, total: int) -> None:
    return None


class RosterService:
    """Imports and exports the roster files; answers who is who, in the caller's scope."""

    def __init__(self, app: PerfLedger, roster: Roster, feed: RosterFeed, max_bytes: int) -> None:
        self.app = app
        self.roster = roster
        self.feed = feed
        self.max_bytes = max_bytes

    # --- import and export (admins) ------------------------------------------------------

    def import_files(
        self,
        who: Principal,
        teams: bytes | None,
        people: bytes | None,
        dry_run: bool = False,
        progress: Progress = _quiet,
        names: tuple[str, str] = ("teams.csv", "people.csv"),
    ) -> dict[str, Any]:
        """Checks the files whole, then applies what differs (nothing with dry_run); raises
        RosterProblems listing every problem, with nothing applied."""
        require_role(who, "admin")
        if teams is None and people is None:
            raise InvalidValue("send a teams file, a people file or both", field="files")
        team_rows: Parsed[TeamRow] = (
            Parsed([], []) if teams is None else parse_teams(teams, self.max_bytes, names[0])
        )
        people_rows: Parsed[PersonRow] = (
            Parsed([], []) if people is None else parse_people(people, self.max_bytes, names[1])
        )
        current = self.feed.catch_up()
        changes, across = plan(team_rows.rows, people_rows.rows, current, names)
        problems = [*team_rows.problems, *people_rows.problems, *across]
        if problems:
            raise RosterProblems(sorted(problems, key=problem_order))
        version = current.version()
        if changes.changes and not dry_run:
            self.app.apply_roster(changes, who.actor, progress)
            version = self.feed.catch_up().version()
        return {"dry_run": dry_run, **changes.summary(), "version": version}

    def export(self, who: Principal, file: str) -> str:
        """One roster file as CSV text, in the format the import reads."""
        require_role(who, "admin")
        roster = self.feed.catch_up()
        if file == "teams":
            return write_csv(
                TEAM_COLUMNS,
                ([t.team_id, t.name, t.site_id, t.time_zone] for t in roster.teams()),
            )
        if file == "people":
            return write_csv(PEOPLE_COLUMNS, people_lines(roster))
        raise InvalidValue(f"file must be one of {', '.join(FILES)}", field="file")

    def set_external_id(self, who: Principal, person_id: str, external_id: str) -> dict[str, Any]:
        """Links a person to the id their HR system or identity provider gives them (admins);
        an external id belongs to one person."""
        require_role(who, "admin")
        if not external_id or not external_id.isprintable() or len(external_id) > 256:
            raise InvalidValue("1 to 256 printable characters", field="external_id")
        roster = self.feed.catch_up()
        if roster.person(person_id) is None:
            raise NotFound(f"no person {person_id} in the roster", id=person_id)
        holder = roster.person_by_external_id(external_id)
        if holder is not None and holder.person_id != person_id:
            raise InvalidValue(
                f"{external_id} is {holder.person_id}'s external id", field="external_id"
            )
        self.app.set_external_id(person_id, external_id, who.actor)
        return self.person(who, person_id)

    # --- reads --------------------------------------------------------------------------

    def people(self, who: Principal) -> list[dict[str, Any]]:
        """The persons the caller may see, by id."""
        roster = self.feed.catch_up()
        return [person_view(roster, p) for p in roster.people() if may_see(roster, who, p)]

    def person(self, who: Principal, person_id: str) -> dict[str, Any]:
        """One person with their memberships."""
        roster = self.feed.catch_up()
        found = roster.person(person_id)
        if found is None:
            raise NotFound(f"no person {person_id} in the roster", id=person_id)
        if not may_see(roster, who, found):
            raise Forbidden("outside your scope")
        return person_view(roster, found)

    def teams(self, who: Principal) -> list[dict[str, Any]]:
        """Every team of the roster, with its site, time zone and managers."""
        require_role(who, "admin", "auditor", "director", "manager", "agent")
        roster = self.feed.catch_up()
        return [team_view(roster, t) for t in roster.teams()]

    def team(self, who: Principal, team_id: str) -> dict[str, Any]:
        """One team with the members it has now (members only for those who read them)."""
        require_role(who, "admin", "auditor", "director", "manager", "agent")
        roster = self.feed.catch_up()
        found = roster.team(team_id)
        if found is None:
            raise NotFound(f"no team {team_id} in the roster", id=team_id)
        view = team_view(roster, found)
        if who.role in READ_ALL or team_id in roster.managed_teams(who.subject):
            view["members"] = roster.members(team_id, datetime.now(UTC))
        return view

    def sites(self, who: Principal) -> list[dict[str, Any]]:
        """Every site of the roster with its time zone."""
        require_role(who, "admin", "auditor", "director", "manager", "agent")
        return [
            {"site_id": s.site_id, "name": s.name, "time_zone": s.time_zone}
            for s in self.feed.catch_up().sites()
        ]


def problem_order(problem: Problem) -> tuple[int, int, str]:
    """Problems of the teams file first, then by line and column."""
    order = {"teams.csv": 0}
    return (order.get(problem.file, 1), problem.line or 0, problem.column or "")


def may_see(roster: Roster, who: Principal, person: RosterPerson) -> bool:
    """Admins, auditors and directors see everyone; managers the members of their teams now;
    everyone themselves."""
    if who.role in READ_ALL or person.person_id == who.subject:
        return True
    if who.role == "manager":
        team = roster.team_at(person.person_id, datetime.now(UTC))
        return team is not None and team in roster.managed_teams(who.subject)
    return False


def person_view(roster: Roster, person: RosterPerson) -> dict[str, Any]:
    """A person as the API answers: details, team now, every membership."""
    return {
        "person_id": person.person_id,
        "display_name": person.display_name,
        "email": person.email,
        "role": person.role,
        "external_id": person.external_id,
        "manages": list(person.manages),
        "sites": list(person.sites),
        "team_id": roster.team_at(person.person_id, datetime.now(UTC)),
        "memberships": [
            {"team_id": m.team_id, "effective_from": m.effective_from.isoformat()}
            for m in roster.memberships(person.person_id)
        ],
    }


def team_view(roster: Roster, team: RosterTeam) -> dict[str, Any]:
    """A team as the API answers, its managers' names beside their ids."""
    return {
        "team_id": team.team_id,
        "name": team.name,
        "site_id": team.site_id,
        "time_zone": team.time_zone,
        "managers": list(team.managers),
        "manager_names": roster.names(list(team.managers)),
    }


def people_lines(roster: Roster) -> list[list[str]]:
    """people.csv's lines: one per membership (by date), or one without a team."""
    lines = []
    for p in roster.people():
        head = [p.person_id, p.display_name, p.email, p.role]
        manages = ";".join(p.manages)
        memberships = roster.memberships(p.person_id)
        if not memberships:
            lines.append([*head, "", manages, ""])
        for m in memberships:
            lines.append([*head, m.team_id, manages, m.effective_from.isoformat()])
    return lines
