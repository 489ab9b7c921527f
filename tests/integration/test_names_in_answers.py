"""Display names travel through HTTP: every read answer carries `<field>_name` beside the ids the
roster knows (one lookup per answer), and nothing for ids it does not know."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aggregates.alert import Alert
from engine.bootstrap import build
from engine.ports import Roster
from tests.integration.live import LiveModels
from tests.support import make_settings, seed_roster, token

MANAGER, AGENT = token("manager", "bob", "t1"), token("agent", "a1")
AUDITOR = token("auditor", "ann")
TEAMS_CSV = "team_id,name,site,time_zone\nt1,North,lyon,UTC\n"
PEOPLE_CSV = """person_id,display_name,email,role,team_id,manages,effective_from
a1,Ada Lovelace,ada@example.com,agent,t1,,2026-01-01
bob,Bob Lead,bob@example.com,manager,,t1,
ann,Ann Auditor,ann@example.com,auditor,,,
"""
GOAL = {
    "agent_id": "a1",
    "team_id": "t1",
    "title": "Short calls",
    "kpi": "aht_seconds",
    "target": 300.0,
    "direction": "at_most",
    "period_start": "2026-10-01",
    "period_end": "2026-12-31",
    "weight": 1,
}


class CountingRoster:
    """The roster, counting names() calls."""

    def __init__(self, roster: Roster) -> None:
        self.roster = roster
        self.calls = 0

    def names(self, ids: Sequence[str]) -> dict[str, str]:
        self.calls += 1
        return self.roster.names(ids)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.roster, name)


def call(n: int, agent: str) -> tuple[bytes, bytes]:
    event = {
        "event_id": f"00000000-0000-4000-8000-{n:012d}",
        "type": "call.completed",
        "agent_id": agent,
        "team_id": "t1",
        "occurred_at": f"2026-10-0{n}T10:00:00Z",
        "call_id": f"c{n}",
        "talk_seconds": 100 + n,
        "hold_seconds": 0,
        "acw_seconds": 20,
        "transferred": False,
        "resolved_first_contact": True,
    }
    return agent.encode(), json.dumps(event).encode()


@pytest.fixture
def world(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[LiveModels, TestClient]]:
    container = build(make_settings(tmp_path, database_url, None))
    seed_roster(container, TEAMS_CSV, PEOPLE_CSV)
    # The API asks the container for the roster on each answer: counted from here on.
    monkeypatch.setattr(container, "roster", CountingRoster(container.roster))
    try:
        yield LiveModels(container), TestClient(container.api())
    finally:
        container.close()


def get(client: TestClient, path: str, who: dict[str, str]) -> Any:
    answer = client.get(path, headers=who)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_read_answers_name_people_teams_and_actors(
    world: tuple[LiveModels, TestClient],
) -> None:
    live, client = world
    goal_id = client.post("/v1/goals", json=GOAL, headers=MANAGER).json()["id"]
    check_in = {
        "agent_id": "a1",
        "team_id": "t1",
        "held_at": "2026-10-05T09:00:00Z",
        "notes": "calls review",
        "action_items": [{"description": "shadow", "owner_id": "a1", "due": "2026-10-20"}],
    }
    check_in_id = client.post("/v1/check-ins", json=check_in, headers=MANAGER).json()["id"]
    live.project()
    live.ingest([call(1, "a1"), call(2, "a9")])

    goal = get(client, f"/v1/goals/{goal_id}", AGENT)
    assert (goal["agent_name"], goal["team_name"], goal["set_by_name"]) == (
        "Ada Lovelace",
        "North",
        "Bob Lead",
    )
    assert get(client, "/v1/goals?team_id=t1", MANAGER)["items"][0]["agent_name"] == "Ada Lovelace"
    held = get(client, f"/v1/check-ins/{check_in_id}", MANAGER)
    assert held["manager_name"] == "Bob Lead"
    assert held["action_items"][0]["owner_name"] == "Ada Lovelace"
    assert get(client, "/v1/teams", MANAGER)["items"] == [{"team_id": "t1", "team_name": "North"}]

    roster: CountingRoster = live.container.roster  # type: ignore[assignment]
    before = roster.calls
    board = get(client, "/v1/teams/t1/leaderboard?kpi=aht_seconds", AUDITOR)
    assert roster.calls == before + 1  # one lookup for the whole answer
    assert board["team_name"] == "North"
    rows = {row["agent_id"]: row for row in board["rows"]}
    assert rows["a1"]["agent_name"] == "Ada Lovelace"
    assert "agent_name" not in rows["a9"]  # not in the roster: no name, not null
    assert get(client, "/v1/agents/a1/kpis", AGENT)["agent_name"] == "Ada Lovelace"

    trail = get(client, f"/v1/audit/{goal_id}/events", AUDITOR)
    assert trail[0]["actor_name"] == "Bob Lead"
    assert "agent_name" not in trail[0]["data"]  # the payload stays as its hash covers it
    state = get(client, f"/v1/audit/{goal_id}/state", AUDITOR)
    assert state["agent_name"] == "Ada Lovelace"


def test_answers_are_unchanged_without_a_roster(database_url: str, tmp_path: Path) -> None:
    container = build(make_settings(tmp_path, database_url, None))
    live, client = LiveModels(container), TestClient(container.api())
    goal_id = client.post("/v1/goals", json=GOAL, headers=MANAGER).json()["id"]
    live.project()
    goal = get(client, f"/v1/goals/{goal_id}", MANAGER)
    assert not [key for key in goal if key.endswith("_name")]
    assert get(client, "/v1/teams", MANAGER)["items"] == [{"team_id": "t1"}]
    container.close()


def test_a_roster_that_fails_leaves_the_answer_without_names(
    world: tuple[LiveModels, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    live, client = world

    class Broken:
        def names(self, ids: Sequence[str]) -> dict[str, str]:
            raise OSError("roster unavailable")

    monkeypatch.setattr(live.container, "roster", Broken())
    goal_id = client.post("/v1/goals", json=GOAL, headers=MANAGER).json()["id"]
    live.project()
    goal = get(client, f"/v1/goals/{goal_id}", MANAGER)
    assert goal["agent_id"] == "a1" and "agent_name" not in goal


def test_the_api_description_says_how_names_appear(world: tuple[LiveModels, TestClient]) -> None:
    _, client = world
    document = client.get("/openapi.json").json()
    answer = document["paths"]["/v1/teams/{team_id}/leaderboard"]["get"]["responses"]["200"]
    assert "_name" in answer["description"] and "absent" in answer["description"]
    example = answer["content"]["application/json"]["example"]
    assert example["rows"][0]["agent_name"]
    alert = document["components"]["schemas"]["AlertOut"]["properties"]
    assert "agent_name" in alert and "team_name" in alert


def test_alerts_are_named_through_their_typed_answer(world: tuple[LiveModels, TestClient]) -> None:
    live, client = world
    live.container.app.save(
        Alert(
            key="deviation:aht_seconds:a1:2026-10-06",
            rule="deviation",
            team_id="t1",
            agent_id="a1",
            kpi="aht_seconds",
            day=date(2026, 10, 6),
            value=500.0,
            threshold=400.0,
            summary="aht_seconds above the team",
            details={},
            actor="system:alerts",
        )
    )
    live.project()
    (alert,) = get(client, "/v1/alerts?team_id=t1", MANAGER)["items"]
    assert (alert["agent_name"], alert["team_name"]) == ("Ada Lovelace", "North")
    assert get(client, f"/v1/alerts/{alert['id']}", AGENT)["agent_name"] == "Ada Lovelace"


def test_only_successful_reads_are_named(world: tuple[LiveModels, TestClient]) -> None:
    live, client = world
    roster: CountingRoster = live.container.roster  # type: ignore[assignment]
    created = client.post("/v1/goals", json=GOAL, headers=MANAGER)
    assert created.status_code == 201 and "agent_name" not in created.json()
    refused = client.get("/v1/agents/a1/kpis", headers=token("agent", "a2"))
    assert refused.status_code == 403
    assert client.get("/healthz").status_code == 200
    assert roster.calls == 0  # a command, a refusal and a page outside /v1/ ask for no names
