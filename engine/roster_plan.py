"""What an import of roster files changes: checked across lines and against the roster as it
stands, then compared with it, so that only what differs becomes commands.

An import adds and changes; it removes nothing. A person's lines must agree on everything but
team and date; each (team, date) is a membership, and one at a later date is a move. A site
takes the time zone of its first team in teams.csv. The managers of a team are the managers
whose line names it under `manages`: a person in people.csv manages exactly what their line
says, managers not in the file keep their teams.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine.ports import Roster
from engine.roster_csv import PersonRow, Problem, TeamRow


@dataclass
class Counts:
    """How many of a kind an import creates, changes and leaves as they are."""

    created: int = 0
    changed: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "changed": self.changed, "unchanged": self.unchanged}


@dataclass(frozen=True)
class SiteChange:
    """A site to create or change."""

    site_id: str
    name: str
    time_zone: str
    new: bool


@dataclass(frozen=True)
class TeamChange:
    """A team to create or change (details, managers or both)."""

    team_id: str
    name: str
    site_id: str
    time_zone: str
    new: bool
    details: bool  # name, site or zone differ (always True for a new team)
    managers: tuple[str, ...] | None  # the new managers, when they change


@dataclass(frozen=True)
class PersonChange:
    """A person to create or change, with the memberships to record."""

    person_id: str
    display_name: str
    email: str
    role: str
    manages: tuple[str, ...]
    new: bool
    details: bool
    role_changed: bool
    manages_changed: bool
    joins: tuple[tuple[str, date], ...]  # memberships to record: (team, local date)


@dataclass
class RosterPlan:
    """The commands an import comes to, and the counts it reports."""

    sites: list[SiteChange] = field(default_factory=list)
    teams: list[TeamChange] = field(default_factory=list)
    people: list[PersonChange] = field(default_factory=list)
    counts: dict[str, Counts] = field(
        default_factory=lambda: {k: Counts() for k in ("sites", "teams", "people")}
    )
    memberships: int = 0  # memberships recorded (joins and moves)

    @property
    def changes(self) -> bool:
        return bool(self.sites or self.teams or self.people)

    def summary(self) -> dict[str, Any]:
        return {
            **{kind: c.as_dict() for kind, c in self.counts.items()},
            "memberships": self.memberships,
            "changed": self.changes,
        }


@dataclass(frozen=True)
class PersonLines:
    """Every line of one person, checked to agree."""

    first: PersonRow
    memberships: dict[date, str]


def plan(
    teams: Sequence[tuple[int, TeamRow]],
    people: Sequence[tuple[int, PersonRow]],
    roster: Roster,
    files: tuple[str, str] = ("teams.csv", "people.csv"),
) -> tuple[RosterPlan, list[Problem]]:
    """What importing these rows changes in the roster, and the problems across lines."""
    teams_file, people_file = files
    problems: list[Problem] = []
    team_rows = unique_teams(teams, teams_file, problems)
    persons = person_lines(people, people_file, problems)
    known = set(team_rows) | {t.team_id for t in roster.teams()}
    for line, row in people:
        if row.team_id is not None and row.team_id not in known:
            problems.append(Problem(people_file, line, "team_id", f"no team {row.team_id}"))
        for team in row.manages:
            if team not in known:
                problems.append(Problem(people_file, line, "manages", f"no team {team}"))
    check_emails(people, persons, roster, people_file, problems)
    if problems:
        return RosterPlan(), problems
    result = RosterPlan()
    plan_sites(team_rows, roster, result)
    plan_teams(team_rows, persons, roster, result)
    plan_people(persons, roster, result)
    return result, []


def unique_teams(
    teams: Sequence[tuple[int, TeamRow]], file: str, problems: list[Problem]
) -> dict[str, TeamRow]:
    """The teams by id, refusing a team on two lines."""
    seen: dict[str, int] = {}
    rows: dict[str, TeamRow] = {}
    for line, row in teams:
        if row.team_id in seen:
            problems.append(
                Problem(file, line, "team_id", f"{row.team_id} is on line {seen[row.team_id]} too")
            )
            continue
        seen[row.team_id] = line
        rows[row.team_id] = row
    return rows


def person_lines(
    people: Sequence[tuple[int, PersonRow]], file: str, problems: list[Problem]
) -> dict[str, PersonLines]:
    """Each person's lines, refusing lines that disagree or repeat a date."""
    found: dict[str, PersonLines] = {}
    first_line: dict[str, int] = {}
    dates: dict[tuple[str, date], int] = {}
    for line, row in people:
        lines = found.get(row.person_id)
        if lines is None:
            lines = found[row.person_id] = PersonLines(row, {})
            first_line[row.person_id] = line
        elif row.details() != lines.first.details():
            differing = [
                column
                for column, mine, theirs in zip(
                    ("display_name", "email", "role", "manages"),
                    row.details(),
                    lines.first.details(),
                    strict=True,
                )
                if mine != theirs
            ]
            for column in differing:
                problems.append(
                    Problem(
                        file,
                        line,
                        column,
                        f"differs from line {first_line[row.person_id]} of {row.person_id}",
                    )
                )
            continue
        if row.team_id is None or row.effective_from is None:
            continue
        key = (row.person_id, row.effective_from)
        if key in dates:
            problems.append(
                Problem(
                    file,
                    line,
                    "effective_from",
                    f"{row.person_id} already has a team from {row.effective_from} "
                    f"(line {dates[key]})",
                )
            )
            continue
        dates[key] = line
        lines.memberships[row.effective_from] = row.team_id
    return found


def check_emails(
    people: Sequence[tuple[int, PersonRow]],
    persons: dict[str, PersonLines],
    roster: Roster,
    file: str,
    problems: list[Problem],
) -> None:
    """Refuses an e-mail address that two persons would share (it signs a person in)."""
    owner: dict[str, str] = {}
    for person in roster.people():
        if person.person_id not in persons and person.email:
            owner[person.email.lower()] = person.person_id
    claimed: dict[str, tuple[str, int]] = {}
    for line, row in people:
        key = row.email.lower()
        if key in owner and owner[key] != row.person_id:
            problems.append(Problem(file, line, "email", f"{row.email} is {owner[key]}'s already"))
        elif key in claimed and claimed[key][0] != row.person_id:
            other, other_line = claimed[key]
            problems.append(
                Problem(file, line, "email", f"{row.email} is {other}'s too (line {other_line})")
            )
        else:
            claimed.setdefault(key, (row.person_id, line))


def plan_sites(team_rows: dict[str, TeamRow], roster: Roster, result: RosterPlan) -> None:
    """Sites new or changed: each takes the time zone of its first team in the file."""
    zones: dict[str, str] = {}
    for row in team_rows.values():
        zones.setdefault(row.site, row.time_zone)
    counts = result.counts["sites"]
    for site_id, zone in zones.items():
        current = roster.site(site_id)
        if current is None:
            counts.created += 1
            result.sites.append(SiteChange(site_id, site_id, zone, True))
        elif (current.name, current.time_zone) != (site_id, zone):
            counts.changed += 1
            result.sites.append(SiteChange(site_id, site_id, zone, False))
        else:
            counts.unchanged += 1


def plan_teams(
    team_rows: dict[str, TeamRow],
    persons: dict[str, PersonLines],
    roster: Roster,
    result: RosterPlan,
) -> None:
    """Teams new or changed, and their managers: those whose line names them."""
    managers: dict[str, set[str]] = {
        t.team_id: {m for m in t.managers if m not in persons} for t in roster.teams()
    }
    for team_id in team_rows:
        managers.setdefault(team_id, set())
    for person_id, lines in persons.items():
        if lines.first.role == "manager":
            for team_id in lines.first.manages:
                managers[team_id].add(person_id)
    counts = result.counts["teams"]
    for team_id in sorted(set(team_rows) | set(managers)):
        current = roster.team(team_id)
        row = team_rows.get(team_id)
        wanted = tuple(sorted(managers.get(team_id, ())))
        if current is None and row is not None:
            counts.created += 1
            result.teams.append(
                TeamChange(team_id, row.name, row.site, row.time_zone, True, True, wanted or None)
            )
            continue
        if current is None:
            continue
        details = row is not None and (row.name, row.site, row.time_zone) != (
            current.name,
            current.site_id,
            current.time_zone,
        )
        new_managers = wanted if wanted != tuple(sorted(current.managers)) else None
        if not details and new_managers is None:
            if row is not None:
                counts.unchanged += 1
            continue
        counts.changed += 1
        source = row or TeamRow(
            team_id=team_id, name=current.name, site=current.site_id, time_zone=current.time_zone
        )
        result.teams.append(
            TeamChange(
                team_id,
                source.name,
                source.site,
                source.time_zone,
                False,
                details,
                new_managers,
            )
        )


def plan_people(persons: dict[str, PersonLines], roster: Roster, result: RosterPlan) -> None:
    """People new or changed, with the memberships the roster does not hold yet."""
    counts = result.counts["people"]
    for person_id, lines in persons.items():
        row = lines.first
        current = roster.person(person_id)
        held = (
            {}
            if current is None
            else {m.effective_from: m.team_id for m in roster.memberships(person_id)}
        )
        joins = tuple(
            (team, day) for day, team in sorted(lines.memberships.items()) if held.get(day) != team
        )
        if current is None:
            change = PersonChange(
                person_id,
                row.display_name,
                row.email,
                row.role,
                row.manages,
                True,
                True,
                True,
                True,
                joins,
            )
        else:
            change = PersonChange(
                person_id,
                row.display_name,
                row.email,
                row.role,
                row.manages,
                False,
                (row.display_name, row.email) != (current.display_name, current.email),
                row.role != current.role,
                row.manages != current.manages,
                joins,
            )
            if not (change.details or change.role_changed or change.manages_changed or joins):
                counts.unchanged += 1
                continue
        result.memberships += len(joins)
        if change.new:
            counts.created += 1
        else:
            counts.changed += 1
        result.people.append(change)
