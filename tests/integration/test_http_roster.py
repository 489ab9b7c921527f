"""The roster routes: multipart import (dry run, 422 with every problem, 403 but for admins),
CSV export, and the reads in the caller's scope."""

from __future__ import annotations

from typing import Any

from tests.support import EXAMPLE_ROSTER, token

ADMIN = token("admin", "ada")


def files(teams: bytes | None = None, people: bytes | None = None) -> dict[str, Any]:
    chosen = {
        "teams": teams if teams is not None else (EXAMPLE_ROSTER / "teams.csv").read_bytes(),
        "people": people if people is not None else (EXAMPLE_ROSTER / "people.csv").read_bytes(),
    }
    return {name: (f"{name}.csv", data, "text/csv") for name, data in chosen.items()}


def test_only_admins_import(client: Any) -> None:
    for who in (token("manager", "max", "team-03"), token("auditor", "audrey")):
        assert client.post("/v1/roster/import", files=files(), headers=who).status_code == 403
    assert client.post("/v1/roster/import", files=files()).status_code == 401


def test_a_dry_run_then_an_import_then_the_same_import_again(client: Any) -> None:
    dry = client.post("/v1/roster/import", params={"dry_run": "true"}, files=files(), headers=ADMIN)
    assert dry.status_code == 200 and dry.json()["people"]["created"] == 16
    assert client.get("/v1/roster/people", headers=ADMIN).json()["items"] == []
    first = client.post("/v1/roster/import", files=files(), headers=ADMIN).json()
    assert (first["changed"], first["memberships"]) == (True, 9)
    again = client.post("/v1/roster/import", files=files(), headers=ADMIN).json()
    assert again["changed"] is False and again["version"] == first["version"]


def test_invalid_files_answer_422_listing_every_problem_by_file_line_and_column(
    client: Any,
) -> None:
    teams = b"team_id,name,site,time_zone,colour\nt1,One,bj,Asia/Shanghai,red\n"
    people = b"person_id,display_name,email,role,team_id,manages,effective_from\np1,P,p,boss,,,\n"
    answer = client.post("/v1/roster/import", files=files(teams, people), headers=ADMIN)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert [(p["file"], p["line"], p["column"]) for p in body["problems"]] == [
        ("teams.csv", 1, "colour"),
        ("people.csv", 2, "email"),
        ("people.csv", 2, "role"),
    ]
    assert body["errors"][0] == {
        "field": "teams.csv:1:colour",
        "reason": "unknown column; the header is team_id,name,site,time_zone",
    }
    assert client.get("/v1/roster/teams", headers=ADMIN).json()["items"] == []


def test_an_oversized_upload_is_refused_by_size(client: Any) -> None:
    limit = client.app.state.container.settings.roster_max_bytes
    big = b"team_id,name,site,time_zone\n" + b"x" * limit
    answer = client.post("/v1/roster/import", files={"teams": ("t.csv", big)}, headers=ADMIN)
    assert answer.status_code == 422
    assert "PERFLEDGER_ROSTER_MAX_BYTES" in answer.json()["problems"][0]["message"]


def test_no_file_at_all_is_invalid(client: Any) -> None:
    assert client.post("/v1/roster/import", headers=ADMIN).status_code == 422


def test_the_export_is_the_import_format(client: Any) -> None:
    client.post("/v1/roster/import", files=files(), headers=ADMIN)
    teams = client.get("/v1/roster/export", params={"file": "teams"}, headers=ADMIN)
    assert teams.headers["content-type"] == "text/csv; charset=utf-8"
    assert teams.text == (EXAMPLE_ROSTER / "teams.csv").read_text()
    people = client.get("/v1/roster/export", params={"file": "people"}, headers=ADMIN).text
    back = client.post(
        "/v1/roster/import", files=files(teams.text.encode(), people.encode()), headers=ADMIN
    )
    assert back.json()["changed"] is False
    assert client.get("/v1/roster/export", params={"file": "x"}, headers=ADMIN).status_code == 422
    auditor = token("auditor", "audrey")
    assert client.get("/v1/roster/export?file=people", headers=auditor).status_code == 403


def test_reads_follow_the_scope(client: Any) -> None:
    client.post("/v1/roster/import", files=files(), headers=ADMIN)
    mei = token("manager", "mei", "team-01")
    seen = client.get("/v1/roster/people", headers=mei).json()["items"]
    assert {p["person_id"] for p in seen} == {"mei", "agent-0001"}
    agent = token("agent", "agent-0002")
    assert client.get("/v1/roster/people/agent-0001", headers=agent).status_code == 403
    assert client.get("/v1/roster/people/nobody", headers=ADMIN).status_code == 404
    own = client.get("/v1/roster/people/agent-0002", headers=agent).json()
    assert own["team_id"] == "team-02" and own["display_name"] == "Zhang Min"
    team = client.get("/v1/roster/teams/team-01", headers=mei).json()
    assert team["manager_names"] == {"mei": "Mei Manager"} and team["members"] == ["agent-0001"]
    assert "members" not in client.get("/v1/roster/teams/team-01", headers=agent).json()
    sites = client.get("/v1/roster/sites", headers=agent).json()["items"]
    assert [(s["site_id"], s["time_zone"]) for s in sites] == [
        ("beijing", "Asia/Shanghai"),
        ("berlin", "Europe/Berlin"),
    ]
    ingest = token("ingest", "feeder")
    assert client.get("/v1/roster/teams", headers=ingest).status_code == 403


def test_a_retried_import_with_its_idempotency_key_is_answered_as_the_first(client: Any) -> None:
    headers = {**ADMIN, "Idempotency-Key": "roster-2026-12-01"}
    first = client.post("/v1/roster/import", files=files(), headers=headers)
    retry = client.post("/v1/roster/import", files=files(), headers=headers)  # a new boundary
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json() and first.json()["people"]["created"] == 16
