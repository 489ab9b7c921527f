"""Roster import: 20,000 agents (200 teams on 4 sites, a manager each) through the roster service,
then the same files again, beside reading the files with the csv module alone.

The import is the one `perfledger roster import` and POST /v1/roster/import run: parse and
validate every line, compare with the roster, save the aggregates in chunks, catch the read
model up. The second import of the same files must change nothing (issue 11).
"""

from __future__ import annotations

import csv
import io
import tempfile
import time
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from engine.bootstrap import build
from engine.settings import Settings
from engine.tokens import Principal

TEAMS, SITES = 200, 4
ZONES = ("Asia/Shanghai", "Europe/Berlin", "America/New_York", "Asia/Kolkata")


def files(agents: int) -> tuple[bytes, bytes]:
    """teams.csv and people.csv of a centre with this many agents."""
    teams = ["team_id,name,site,time_zone"]
    for t in range(TEAMS):
        teams.append(f"team-{t:03d},Team {t},site-{t % SITES},{ZONES[t % SITES]}")
    people = ["person_id,display_name,email,role,team_id,manages,effective_from"]
    for t in range(TEAMS):
        people.append(f"mgr-{t:03d},Manager {t},mgr{t}@example.com,manager,,team-{t:03d},")
    for i in range(agents):
        people.append(
            f"agent-{i:05d},Agent {i},agent{i}@example.com,agent,team-{i % TEAMS:03d},,2026-01-01"
        )
    return ("\n".join(teams) + "\n").encode(), ("\n".join(people) + "\n").encode()


def run(agents: int, database_url: str | None = None) -> dict[str, Any]:
    """Times the first and the second import of the same files (SQLite unless a URL is given)."""
    teams, people = files(agents)
    start = time.perf_counter()
    for data in (teams, people):
        sum(1 for _ in csv.reader(io.StringIO(data.decode())))
    raw = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            database_url=database_url or f"sqlite:///{tmp}/roster.db",
            secret=SecretStr("bench-" + "x" * 32),
        )
        container = build(settings)
        try:
            admin = Principal("admin", "bench")
            start = time.perf_counter()
            first = container.services.roster.import_files(admin, teams, people)
            first_s = time.perf_counter() - start
            start = time.perf_counter()
            second = container.services.roster.import_files(admin, teams, people)
            second_s = time.perf_counter() - start
            events = container.app.recorder.max_notification_id() or 0
        finally:
            container.close()
    rows = agents + TEAMS
    return {
        "agents": agents,
        "people_rows": rows,
        "events": events,
        "raw_csv_read_s": round(raw, 3),
        "first_import_s": round(first_s, 2),
        "first_rows_per_s": round(rows / first_s),
        "second_import_s": round(second_s, 2),
        "second_changed": second["changed"],
        "first_created": first["people"]["created"],
    }


def render(result: dict[str, Any]) -> list[str]:
    """The report's lines."""
    return [
        f"roster import, {result['agents']:,} agents ({result['events']:,} events), SQLite:",
        f"  raw csv read of the files:             {result['raw_csv_read_s']:>8.2f} s",
        (
            f"  first import (validate, save, read model): {result['first_import_s']:>6.2f} s"
            f"  ({result['first_rows_per_s']:,} rows/s)"
        ),
        (
            f"  second import of the same files:       {result['second_import_s']:>8.2f} s"
            f"  changed: {result['second_changed']}"
        ),
    ]
