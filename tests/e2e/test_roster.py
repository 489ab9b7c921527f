"""The roster as a user drives it: `perfledger roster import|export`, `token issue --subject`,
and a running API that sees an import made by another process at once."""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from aggregates.roster import person_uuid
from tests.e2e.test_up import Up
from tests.support import EXAMPLE_ROSTER, SECRET, token, wait_until

ROOT = Path(__file__).parents[2]
TEAMS = str(EXAMPLE_ROSTER / "teams.csv")
PEOPLE = str(EXAMPLE_ROSTER / "people.csv")
ADMIN = token("admin", "ada")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = {
        **os.environ,
        "PERFLEDGER_DATA_DIR": str(tmp_path / "data"),
        "PERFLEDGER_SECRET": SECRET,
    }
    for name in ("PERFLEDGER_DATABASE_URL", "PERFLEDGER_KAFKA_BOOTSTRAP", "PERFLEDGER_SECRET_FILE"):
        values.pop(name, None)
    return values


def perfledger(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_dry_run_import_again_and_export_round_trip(env: dict[str, str], tmp_path: Path) -> None:
    dry = perfledger(env, "roster", "import", "--teams", TEAMS, "--people", PEOPLE, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "people: 16 created, 0 changed, 0 unchanged" in dry.stdout
    assert "dry run: the files are valid; nothing was applied" in dry.stdout
    out = tmp_path / "out"
    out.mkdir()
    empty = perfledger(env, "roster", "export", "--teams", str(out / "t.csv"))
    assert empty.returncode == 0
    assert (out / "t.csv").read_text() == "team_id,name,site,time_zone\n"

    first = perfledger(env, "roster", "import", "--teams", TEAMS, "--people", PEOPLE)
    assert first.returncode == 0, first.stderr
    assert "teams: 4 created" in first.stdout and "memberships recorded: 9" in first.stdout
    again = perfledger(env, "roster", "import", "--teams", TEAMS, "--people", PEOPLE)
    assert again.returncode == 0
    assert "people: 0 created, 0 changed, 16 unchanged" in again.stdout
    assert "nothing changed" in again.stdout

    exported = perfledger(
        env, "roster", "export", "--teams", str(out / "t.csv"), "--people", str(out / "p.csv")
    )
    assert exported.returncode == 0, exported.stderr
    assert sorted((out / "p.csv").read_text().splitlines()) == sorted(
        Path(PEOPLE).read_text().splitlines()
    )
    back = perfledger(
        env, "roster", "import", "--teams", str(out / "t.csv"), "--people", str(out / "p.csv")
    )
    assert "nothing changed" in back.stdout


def test_a_bad_file_lists_every_problem_and_applies_nothing(
    env: dict[str, str], tmp_path: Path
) -> None:
    bad = tmp_path / "people.csv"
    bad.write_text(
        Path(PEOPLE).read_text()
        + "x1,X One,x1@example.com,agent,,,\n"
        + "x2,X Two,x2@example,agent,team-01,,2026-01-01\n"
    )
    result = perfledger(env, "roster", "import", "--teams", TEAMS, "--people", str(bad))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert "people.csv:19: team_id: an agent needs a team" in lines
    assert "people.csv:20: email: 'x2@example' is not a plausible e-mail address" in lines
    assert lines[-1] == "perfledger: the roster files have 2 problem(s); nothing was applied"
    assert perfledger(env, "roster", "export", "--teams", str(tmp_path / "t.csv")).returncode == 0
    assert (tmp_path / "t.csv").read_text().count("\n") == 1


def test_a_token_for_a_roster_person_carries_their_role(env: dict[str, str]) -> None:
    assert perfledger(env, "roster", "import", "--teams", TEAMS, "--people", PEOPLE).returncode == 0
    issued = perfledger(env, "token", "issue", "--subject", "max")
    assert issued.returncode == 0, issued.stderr
    claims = jwt.decode(issued.stdout.strip(), options={"verify_signature": False})
    assert claims["sub"] == "max"
    unknown = perfledger(env, "token", "issue", "--subject", "nobody")
    assert unknown.returncode == 2
    assert "nobody is not in the roster" in unknown.stderr
    outside = perfledger(env, "token", "issue", "--subject", "feeder", "--role", "ingest")
    assert outside.returncode == 0


def test_an_external_id_is_linked_once(env: dict[str, str]) -> None:
    assert perfledger(env, "roster", "import", "--teams", TEAMS, "--people", PEOPLE).returncode == 0
    linked = perfledger(env, "roster", "link", "--person", "max", "--external-id", "hr-17")
    assert linked.returncode == 0, linked.stderr
    taken = perfledger(env, "roster", "link", "--person", "mei", "--external-id", "hr-17")
    assert (taken.returncode, taken.stderr.strip()) == (
        1,
        "perfledger: hr-17 is max's external id",
    )
    unknown = perfledger(env, "roster", "link", "--person", "nobody", "--external-id", "hr-18")
    assert unknown.returncode == 1 and "no person nobody" in unknown.stderr


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Up]:
    running = Up(tmp_path / "data")
    running.env["PERFLEDGER_SECRET"] = SECRET
    running.args = ["--only", "api"]
    try:
        yield running.start()
    finally:
        running.kill_if_running()


def test_the_api_sees_an_import_by_another_process_at_once(api: Up) -> None:
    env = {**api.env}
    url = api.url
    assert httpx.get(f"{url}/v1/roster/people/max", headers=ADMIN).status_code == 404
    assert perfledger(env, "roster", "import", "--teams", TEAMS, "--people", PEOPLE).returncode == 0
    team = httpx.get(f"{url}/v1/roster/teams/team-03", headers=ADMIN).json()
    assert team["managers"] == ["max"]
    move = api.data_dir / "move.csv"
    move.write_text(
        "person_id,display_name,email,role,team_id,manages,effective_from\n"
        "max,Max Manager,max@example.com,manager,,team-04,\n"
    )
    assert perfledger(env, "roster", "import", "--people", str(move)).returncode == 0
    # The next request, no waiting: the move counts at once.
    assert httpx.get(f"{url}/v1/roster/teams/team-03", headers=ADMIN).json()["managers"] == []
    assert httpx.get(f"{url}/v1/roster/teams/team-04", headers=ADMIN).json()["managers"] == [
        "lena",
        "max",
    ]


def test_the_import_route_over_a_running_api(api: Up) -> None:
    url = api.url
    files = {
        "teams": ("teams.csv", Path(TEAMS).read_bytes(), "text/csv"),
        "people": ("people.csv", Path(PEOPLE).read_bytes(), "text/csv"),
    }
    dry = httpx.post(f"{url}/v1/roster/import?dry_run=true", files=files, headers=ADMIN)
    assert dry.status_code == 200 and dry.json()["dry_run"] is True
    assert httpx.get(f"{url}/v1/roster/teams", headers=ADMIN).json()["items"] == []
    done = httpx.post(f"{url}/v1/roster/import", files=files, headers=ADMIN)
    assert done.json()["people"]["created"] == 16
    export = httpx.get(f"{url}/v1/roster/export?file=teams", headers=ADMIN)
    assert export.headers["content-type"].startswith("text/csv")
    assert export.text == Path(TEAMS).read_text()


def test_roster_events_pass_the_relay_into_the_audit_trail(tmp_path: Path) -> None:
    running = Up(tmp_path / "data")
    running.env["PERFLEDGER_SECRET"] = SECRET
    try:
        running.start()
        env = {**running.env}
        assert (
            perfledger(env, "roster", "import", "--teams", TEAMS, "--people", PEOPLE).returncode
            == 0
        )
        trail = f"{running.url}/v1/audit/{person_uuid('agent-0005')}/events"

        def relayed() -> list[dict[str, object]] | None:
            answer = httpx.get(trail, headers=token("auditor", "audrey"))
            return answer.json() if answer.status_code == 200 else None

        events = wait_until(relayed, timeout=60)
        assert [(e["type"], e["actor"]) for e in events] == [
            ("Person.Registered", f"admin:cli:{getpass.getuser()}"),
            ("Person.TeamJoined", f"admin:cli:{getpass.getuser()}"),
            ("Person.TeamJoined", f"admin:cli:{getpass.getuser()}"),
        ]
        assert running.stop() == 0
    finally:
        running.kill_if_running()
