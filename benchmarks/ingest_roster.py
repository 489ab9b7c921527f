"""The roster the ingest benchmarks attribute by: simulate's agents and teams, teams in zones."""

from __future__ import annotations

from datetime import date

from engine.bootstrap import Container
from engine.ports import Membership, RosterPerson, RosterTeam
from engine.roster_index import RosterIndex
from engine.tokens import Principal

ZONES = ("Asia/Shanghai", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC")


def rows(agents: int, teams: int) -> tuple[str, str]:
    """teams.csv and people.csv: simulate's agent i in team i % teams, each team in a zone."""
    team_lines = ["team_id,name,site,time_zone"]
    for t in range(teams):
        team_lines.append(f"team-{t + 1:02d},Team {t + 1},site-{t % 5},{ZONES[t % len(ZONES)]}")
    people = ["person_id,display_name,email,role,team_id,manages,effective_from"]
    for i in range(agents):
        agent = f"agent-{i + 1:04d}"
        people.append(
            f"{agent},Agent {i + 1},{agent}@example.com,agent,team-{i % teams + 1:02d},,2020-01-01"
        )
    return "\n".join(team_lines) + "\n", "\n".join(people) + "\n"


def seed(container: Container, agents: int, teams: int) -> None:
    """Imports the benchmark's roster through the roster service."""
    teams_csv, people_csv = rows(agents, teams)
    container.services.roster.import_files(
        Principal("admin", "bench"), teams_csv.encode(), people_csv.encode()
    )


def index(agents: int, teams: int) -> RosterIndex:
    """The same roster in memory, for the in-process profile."""
    return RosterIndex(
        [RosterPerson(f"agent-{i + 1:04d}", f"Agent {i + 1}", "", "agent") for i in range(agents)],
        [
            RosterTeam(f"team-{t + 1:02d}", f"Team {t + 1}", f"site-{t % 5}", ZONES[t % len(ZONES)])
            for t in range(teams)
        ],
        (),
        [
            Membership(f"agent-{i + 1:04d}", f"team-{i % teams + 1:02d}", date(2020, 1, 1))
            for i in range(agents)
        ],
        1,
    )
