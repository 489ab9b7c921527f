"""Rosters for tests, written as the two import files (teams.csv, people.csv) are, and the
principals the roster makes of a token's subject (no I/O)."""

from __future__ import annotations

from typing import Any

from engine.callers import Callers, Principal
from engine.roster_index import RosterIndex
from tests.fakes import roster_from_csv


def roster_index(teams: str, people: str) -> RosterIndex:
    """The roster that importing these two files gives (tests.fakes.roster_from_csv: the import
    itself, in memory)."""
    return roster_from_csv(teams, people)


class Claims:
    """What a verified token says (subject, role claim)."""

    def __init__(self, subject: str, role: str | None = None) -> None:
        self.subject = subject
        self.role = role


def principal(
    roster: RosterIndex, subject: str, role: str | None = None, **clock: Any
) -> Principal:
    """The principal the roster makes of a token for `subject` (role: only outside the roster)."""
    return Callers(roster, **clock).principal(Claims(subject, role))


# A contact centre of two sites and four teams, for the scope tests: a manager per team, a
# director of the Paris site and one of the whole centre, an auditor, an admin on the roster,
# agents, a move in the middle of the third quarter (agent-mover, east -> west on 15 August
# 2026) and one planned long after any test runs (agent-later, east -> north in 2099).
CENTRE_TEAMS = """team_id,name,site,time_zone
team-east,East,paris,Europe/Paris
team-west,West,paris,Europe/Paris
team-north,North,beijing,Asia/Shanghai
team-south,South,beijing,Asia/Shanghai
"""
CENTRE_PEOPLE = """person_id,display_name,email,role,team_id,manages,effective_from
lead-east,Lea East,lea@example.com,manager,,team-east,
lead-west,Will West,will@example.com,manager,,team-west,
lead-north,Nora North,nora@example.com,manager,,team-north,
lead-south,Sam South,sam@example.com,manager,,team-south,
dir-paris,Paula Paris,paula@example.com,director,,team-east;team-west,
dir-centre,Cem Centre,cem@example.com,director,,,
ann,Ann Audit,ann@example.com,auditor,,,
root,Rita Root,rita@example.com,admin,,,
agent-east,Ed East,ed@example.com,agent,team-east,,2026-01-01
agent-east-2,Eve East,eve@example.com,agent,team-east,,2026-01-01
agent-west,Wu West,wu@example.com,agent,team-west,,2026-01-01
agent-north,Nan North,nan@example.com,agent,team-north,,2026-01-01
agent-south,Sue South,sue@example.com,agent,team-south,,2026-01-01
agent-mover,Mo Mover,mo@example.com,agent,team-east,,2026-01-01
agent-mover,Mo Mover,mo@example.com,agent,team-west,,2026-08-15
agent-later,Lu Later,lu@example.com,agent,team-east,,2026-01-01
agent-later,Lu Later,lu@example.com,agent,team-north,,2099-01-01
"""


def centre() -> RosterIndex:
    """The two-site, four-team centre above."""
    return roster_index(CENTRE_TEAMS, CENTRE_PEOPLE)


# Two teams at one site, for tests that need a manager or an agent on the roster: bob manages
# team-a (agent-1, agent-3), eve manages team-b (agent-2, agent-9).
TEAMS_AB = (
    """team_id,name,site,time_zone
team-a,Team A,hq,UTC
team-b,Team B,hq,UTC
""",
    """person_id,display_name,email,role,team_id,manages,effective_from
bob,Bob,bob@example.com,manager,,team-a,
eve,Eve,eve@example.com,manager,,team-b,
agent-1,Agent One,one@example.com,agent,team-a,,2026-01-01
agent-3,Agent Three,three@example.com,agent,team-a,,2026-01-01
agent-2,Agent Two,two@example.com,agent,team-b,,2026-01-01
agent-9,Agent Nine,nine@example.com,agent,team-b,,2026-01-01
""",
)


def plus_agents(files: tuple[str, str], team_id: str, *agents: str) -> tuple[str, str]:
    """The roster files with more agents in one team (from the start)."""
    teams, people = files
    lines = "".join(f"{a},{a},{a}@example.com,agent,{team_id},,2026-01-01\n" for a in agents)
    return teams, people.rstrip("\n") + "\n" + lines


# Teams t1, t2 and t9 at one site: bob manages t1 (agents a1, a2, a3, and m1, a manager of t1
# who is also one of its members), eve manages t9; b1 is the agent of t2.
TEAMS_T = (
    """team_id,name,site,time_zone
t1,Team 1,hq,UTC
t2,Team 2,hq,UTC
t9,Team 9,hq,UTC
""",
    """person_id,display_name,email,role,team_id,manages,effective_from
bob,Bob,bob@example.com,manager,,t1,
m1,Mia,mia@example.com,manager,t1,t1,2026-01-01
eve,Eve,eve@example.com,manager,,t9,
a1,Ada,ada@example.com,agent,t1,,2026-01-01
a2,Abe,abe@example.com,agent,t1,,2026-01-01
a3,Amy,amy@example.com,agent,t1,,2026-01-01
b1,Bea,bea@example.com,agent,t2,,2026-01-01
""",
)
