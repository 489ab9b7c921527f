"""The roster service on fakes: import whole or not at all, idempotent, moves, export round trip,
who may do what."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from aggregates.errors import InvalidValue, NotFound
from aggregates.roster import Person, Team, person_uuid, team_uuid
from engine.application import PerfLedger
from engine.roster_csv import RosterProblems
from engine.roster_index import RosterIndex
from engine.scope import Forbidden
from engine.services.roster import RosterService
from engine.tokens import Principal
from tests.fakes import FakeRosterFeed
from tests.support import example_roster

ADMIN = Principal("admin", "ada")
TEAMS = "team_id,name,site,time_zone\n"
PEOPLE = "person_id,display_name,email,role,team_id,manages,effective_from\n"


class World:
    """An application in memory, the roster projected from it, and the service over both."""

    def __init__(self) -> None:
        self.app = PerfLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
        self.feed = FakeRosterFeed(self.app)
        self.service = RosterService(self.app, self.feed.index, self.feed, 64 * 1024)

    def load(self, teams: str | None, people: str | None, dry_run: bool = False) -> dict[str, Any]:
        return self.service.import_files(
            ADMIN,
            None if teams is None else teams.encode(),
            None if people is None else people.encode(),
            dry_run,
        )

    def stored(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def roster(self) -> RosterIndex:
        return self.feed.catch_up()


@pytest.fixture
def world() -> World:
    return World()


def test_an_import_creates_everything_and_the_same_import_again_changes_nothing(
    world: World,
) -> None:
    first = world.load(*example_roster())
    assert first["sites"] == {"created": 2, "changed": 0, "unchanged": 0}
    assert first["teams"] == {"created": 4, "changed": 0, "unchanged": 0}
    assert first["people"] == {"created": 16, "changed": 0, "unchanged": 0}
    assert first["memberships"] == 9 and first["changed"] is True
    stored = world.stored()
    again = world.load(*example_roster())
    assert world.stored() == stored
    assert again["people"] == {"created": 0, "changed": 0, "unchanged": 16}
    assert again["changed"] is False and again["version"] == first["version"]


def test_a_dry_run_counts_and_applies_nothing(world: World) -> None:
    result = world.load(*example_roster(), dry_run=True)
    assert result["dry_run"] is True and result["people"]["created"] == 16
    assert world.stored() == 0


def test_one_bad_line_applies_nothing_and_every_problem_is_listed(world: World) -> None:
    teams, people = example_roster()
    bad_people = people + "x1,X,x1@example.com,agent,team-99,,2026-01-01\nx2,Y,bad,agent,,,\n"
    with pytest.raises(RosterProblems) as refused:
        world.load(teams + "team-05,Five,berlin,Europe/Berlim\n", bad_people)
    found = [(p.file, p.line, p.column) for p in refused.value.problems]
    lines = len(people.splitlines())
    assert found == [
        ("teams.csv", 6, "time_zone"),
        ("people.csv", lines + 1, "team_id"),
        ("people.csv", lines + 2, "email"),
        ("people.csv", lines + 2, "team_id"),
    ]
    assert world.stored() == 0


def test_lines_across_the_files_must_agree(world: World) -> None:
    teams = TEAMS + "t1,One,bj,Asia/Shanghai\nt1,Again,bj,Asia/Shanghai\n"
    people = (
        PEOPLE
        + "a1,Ann,ann@example.com,agent,t1,,2026-01-01\n"
        + "a1,Ann,ann@example.com,agent,t1,,2026-01-01\n"  # 3: the same date twice
        + "a1,Anne,ann@example.com,agent,t1,,2026-02-01\n"  # 4: details differ
        + "b1,Bo,ANN@example.com,agent,t1,,2026-01-01\n"  # 5: another person's e-mail
        + "m1,Mo,mo@example.com,manager,,t9,\n"  # 6: manages an unknown team
    )
    with pytest.raises(RosterProblems) as refused:
        world.load(teams, people)
    assert [(p.file, p.line, p.column) for p in refused.value.problems] == [
        ("teams.csv", 3, "team_id"),
        ("people.csv", 3, "effective_from"),
        ("people.csv", 4, "display_name"),
        ("people.csv", 5, "email"),
        ("people.csv", 6, "manages"),
    ]


def test_people_may_join_teams_the_roster_has_already(world: World) -> None:
    world.load(TEAMS + "t1,One,bj,Asia/Shanghai\n", None)
    result = world.load(None, PEOPLE + "a1,Ann,ann@example.com,agent,t1,,2026-01-01\n")
    assert result["people"]["created"] == 1
    assert world.roster().team_at("a1", datetime(2026, 1, 1, tzinfo=UTC)) == "t1"


def test_a_later_line_moves_the_agent_from_local_midnight_of_that_day(world: World) -> None:
    world.load(*example_roster())
    assert world.roster().team_at("agent-0001", datetime(2026, 6, 1, tzinfo=UTC)) == "team-01"
    result = world.load(
        None, PEOPLE + "agent-0001,Li Wei,li.wei@example.com,agent,team-02,,2026-06-01\n"
    )
    assert result["people"] == {"created": 0, "changed": 1, "unchanged": 0}
    assert result["memberships"] == 1
    roster = world.roster()
    # Midnight in Beijing (team-02's zone) is 16:00 UTC the day before.
    assert roster.team_at("agent-0001", datetime(2026, 5, 31, 15, 59, tzinfo=UTC)) == "team-01"
    assert roster.team_at("agent-0001", datetime(2026, 5, 31, 16, 0, tzinfo=UTC)) == "team-02"


def test_a_manager_moved_to_another_team_leaves_the_old_one(world: World) -> None:
    world.load(*example_roster())
    world.load(None, PEOPLE + "max,Max Manager,max@example.com,manager,,team-04,\n")
    roster = world.roster()
    assert roster.managed_teams("max") == ("team-04",)
    assert [t.managers for t in roster.teams() if t.team_id in ("team-03", "team-04")] == [
        (),
        ("lena", "max"),
    ]


def test_a_promotion_changes_the_role_and_the_teams_managed(world: World) -> None:
    world.load(*example_roster())
    world.load(
        None,
        PEOPLE
        + "agent-0003,Anna Schmidt,anna.schmidt@example.com,manager,team-03,team-03,2026-01-01\n",
    )
    roster = world.roster()
    assert [p.role for p in roster.people() if p.person_id == "agent-0003"] == ["manager"]
    assert roster.managed_teams("agent-0003") == ("team-03",)
    assert roster.managed_teams("max") == ("team-03",)


def test_the_export_imports_as_no_change(world: World) -> None:
    world.load(*example_roster())
    teams = world.service.export(ADMIN, "teams")
    people = world.service.export(ADMIN, "people")
    assert teams.splitlines()[0] == "team_id,name,site,time_zone"
    assert len(people.splitlines()) == len(example_roster()[1].splitlines())
    stored = world.stored()
    assert world.load(teams, people)["changed"] is False
    assert world.stored() == stored


def test_every_roster_event_names_the_importing_admin(world: World) -> None:
    world.load(*example_roster())
    events = world.app.recorder.select_notifications(start=1, limit=1000)
    assert {world.app.event_as_dict(n)["actor"] for n in events} == {"admin:ada"}
    person: Person = world.app.repository.get(person_uuid("agent-0005"))
    assert len(person.memberships) == 2
    team: Team = world.app.repository.get(team_uuid("team-01"))
    assert team.managers == ["mei"]


@pytest.mark.parametrize("role", ["manager", "director", "auditor", "agent"])
def test_only_admins_import_and_export(world: World, role: str) -> None:
    who = Principal(role, "someone")
    with pytest.raises(Forbidden):
        world.service.import_files(who, b"", None)
    with pytest.raises(Forbidden):
        world.service.export(who, "people")


def test_who_sees_which_persons(world: World) -> None:
    world.load(*example_roster())
    everyone = {p["person_id"] for p in world.service.people(Principal("auditor", "audrey"))}
    assert len(everyone) == 16
    mei = {p["person_id"] for p in world.service.people(Principal("manager", "mei"))}
    assert mei == {"mei", "agent-0001"}  # agent-0005 moved to team-02 on 2026-11-16
    assert [p["person_id"] for p in world.service.people(Principal("agent", "agent-0002"))] == [
        "agent-0002"
    ]
    with pytest.raises(Forbidden):
        world.service.person(Principal("agent", "agent-0002"), "agent-0001")
    moved = world.service.person(Principal("agent", "agent-0005"), "agent-0005")
    assert [m["team_id"] for m in moved["memberships"]] == ["team-01", "team-02"]


def test_an_external_id_links_one_person_and_survives_a_reimport(world: World) -> None:
    world.load(*example_roster())
    answer = world.service.set_external_id(ADMIN, "max", "hr-17")
    assert answer["external_id"] == "hr-17"
    assert world.roster().person_by_external_id("hr-17") == world.roster().person("max")
    with pytest.raises(InvalidValue):
        world.service.set_external_id(ADMIN, "mei", "hr-17")  # max's already
    with pytest.raises(NotFound):
        world.service.set_external_id(ADMIN, "nobody", "hr-18")
    with pytest.raises(Forbidden):
        world.service.set_external_id(Principal("manager", "max"), "max", "hr-19")
    assert world.load(*example_roster())["changed"] is False  # the files name no external ids
    assert world.roster().person_by_external_id("hr-17") is not None
