"""Display names beside ids: one roster lookup per answer, unknown ids left without a name."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import date
from typing import Any

import pytest

from engine.ports import Membership, RosterPerson, RosterSite, RosterTeam
from engine.roster_index import RosterIndex
from engine.services.naming import ids_in, name_field, named

ROSTER = RosterIndex(
    people=[
        RosterPerson("a1", "Ada Lovelace", "ada@example.com", "agent"),
        RosterPerson("a2", "Alan Turing", "alan@example.com", "agent"),
        RosterPerson("bob", "Bob Manager", "bob@example.com", "manager"),
    ],
    teams=[RosterTeam("t1", "North", "s1", "Europe/Paris", ("bob",))],
    sites=[RosterSite("s1", "Paris", "Europe/Paris")],
    memberships=[Membership("a1", "t1", date(2026, 1, 1))],
)


class Counting:
    """The roster, counting the calls of names() and the ids asked."""

    def __init__(self, roster: RosterIndex) -> None:
        self.roster = roster
        self.calls: list[list[str]] = []

    def names(self, ids: Sequence[str]) -> dict[str, str]:
        self.calls.append(list(ids))
        return self.roster.names(ids)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.roster, name)


@pytest.fixture
def roster() -> Counting:
    return Counting(ROSTER)


def leaderboard(n: int) -> dict[str, Any]:
    return {
        "team_id": "t1",
        "kpi": "aht_seconds",
        "rows": [
            {"rank": i + 1, "agent_id": f"a{i % 3 + 1}", "value": 300.0 + i, "kpis": {}}
            for i in range(n)
        ],
    }


def test_a_leaderboard_of_many_rows_is_named_with_one_lookup(roster: Counting) -> None:
    answer = named(roster, leaderboard(500))
    assert len(roster.calls) == 1
    assert sorted(roster.calls[0]) == ["a1", "a2", "a3", "t1"]
    assert answer["team_name"] == "North"
    assert answer["rows"][0]["agent_name"] == "Ada Lovelace"
    assert answer["rows"][1]["agent_name"] == "Alan Turing"


def test_an_id_the_roster_does_not_know_gets_no_name_field(roster: Counting) -> None:
    answer = named(roster, leaderboard(3))
    unknown = answer["rows"][2]
    assert unknown["agent_id"] == "a3"
    assert "agent_name" not in unknown


def test_the_name_sits_right_after_its_id(roster: Counting) -> None:
    answer = named(roster, {"id": "x", "agent_id": "a1", "status": "open"})
    assert list(answer) == ["id", "agent_id", "agent_name", "status"]


def test_actors_are_named_after_the_person_behind_them(roster: Counting) -> None:
    check_in: dict[str, Any] = {
        "manager": "manager:bob",
        "action_items": [{"owner_id": "a1", "completed_by": "agent:a1"}],
        "score_changes": [{"actor": "system:goal-progress"}],
    }
    answer = named(roster, check_in)
    assert answer["manager_name"] == "Bob Manager"
    assert answer["action_items"][0]["owner_name"] == "Ada Lovelace"
    assert answer["action_items"][0]["completed_by_name"] == "Ada Lovelace"
    assert "actor_name" not in answer["score_changes"][0]
    assert len(roster.calls) == 1


def test_teams_and_sites_are_named(roster: Counting) -> None:
    answer = named(roster, {"items": [{"team_id": "t1", "site_id": "s1"}, {"team_id": "t9"}]})
    assert answer["items"] == [
        {"team_id": "t1", "team_name": "North", "site_id": "s1", "site_name": "Paris"},
        {"team_id": "t9"},
    ]


def test_event_payloads_stay_exactly_as_stored(roster: Counting) -> None:
    trail = [{"sequence": 1, "actor": "manager:bob", "data": {"agent_id": "a1"}, "hash": "h"}]
    answer = named(roster, trail)
    assert answer[0]["actor_name"] == "Bob Manager"
    assert answer[0]["data"] == {"agent_id": "a1"}
    assert ids_in(trail) == {"bob"}


def test_the_answer_given_is_not_changed(roster: Counting) -> None:
    given = leaderboard(4)
    before = copy.deepcopy(given)
    named(roster, given)
    assert given == before


def test_an_answer_without_ids_costs_no_lookup(roster: Counting) -> None:
    answer = {"items": [{"name": "aht_seconds"}], "ready": True}
    assert named(roster, answer) is answer
    assert roster.calls == []


def test_nothing_known_leaves_the_answer_as_it_was(roster: Counting) -> None:
    answer = {"agent_id": "nobody", "team_id": "nowhere"}
    assert named(roster, answer) is answer
    assert len(roster.calls) == 1


def test_a_name_the_answer_already_carries_is_kept(roster: Counting) -> None:
    answer = named(roster, {"agent_id": "a1", "agent_name": "given"})
    assert answer == {"agent_id": "a1", "agent_name": "given"}


def test_non_text_ids_and_empty_actors_are_ignored(roster: Counting) -> None:
    answer = {"agent_id": None, "team_id": 7, "actor": "", "handled_by": None}
    assert ids_in(answer) == set()
    assert named(roster, answer) is answer


def test_name_fields_are_the_id_field_without_its_suffix() -> None:
    assert name_field("agent_id") == "agent_name"
    assert name_field("actor") == "actor_name"
    assert name_field("set_by") == "set_by_name"
