"""A roster for the time-zone and attribution tests: two sites, four teams, a mid-quarter move.

Written as the CSV files `perfledger roster import` reads, so the tests load it the way an
operator does (tests/support.py seed_roster) and change it with a second import.
"""

from __future__ import annotations

from datetime import date

BEIJING, BERLIN = "Asia/Shanghai", "Europe/Berlin"
TEAMS = {
    "team-bj": ("Beijing A", "beijing", BEIJING),
    "team-bj2": ("Beijing B", "beijing", BEIJING),
    "team-be": ("Berlin A", "berlin", BERLIN),
    "team-be2": ("Berlin B", "berlin", BERLIN),
}
AGENTS = {"bj-1": "team-bj", "bj-2": "team-bj", "be-1": "team-be", "be-2": "team-be"}
MOVER = "mover"
JOINED = date(2026, 1, 1)
# The mover joins team-bj on 16 March 2026, Beijing's date: from 2026-03-15T16:00Z on.
MOVE_DAY = date(2026, 3, 16)


def teams_csv(zones: dict[str, str] | None = None) -> str:
    """teams.csv of TEAMS, with some teams' time zones replaced."""
    lines = ["team_id,name,site,time_zone"]
    for team, (name, site, zone) in TEAMS.items():
        lines.append(f"{team},{name},{site},{(zones or {}).get(team, zone)}")
    return "\n".join(lines) + "\n"


def people_csv(mover_moves: bool = True) -> str:
    """people.csv: the agents from JOINED on; the mover in team-be, then team-bj from MOVE_DAY."""
    lines = ["person_id,display_name,email,role,team_id,manages,effective_from"]
    for agent, team in [*AGENTS.items(), (MOVER, "team-be")]:
        lines.append(f"{agent},{agent.title()},{agent}@example.com,agent,{team},,{JOINED}")
    if mover_moves:
        lines.append(f"{MOVER},Mover,{MOVER}@example.com,agent,team-bj,,{MOVE_DAY}")
    return "\n".join(lines) + "\n"
