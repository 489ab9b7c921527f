"""The scope rules over the roster (the RosterIndex fake, no I/O): who the caller is now, what
they may write and read, at the moment of the action."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from aggregates.errors import InvalidValue
from engine.callers import Forbidden, NotOnRoster, Principal, Unidentified
from engine.roster_index import RosterIndex
from engine.scope import Scope, teams_during
from tests.rosters import CENTRE_PEOPLE, CENTRE_TEAMS, centre, principal, roster_index

ROSTER = centre()
BEFORE_MOVE = datetime(2026, 8, 1, 12, tzinfo=UTC)  # agent-mover still in team-east
AFTER_MOVE = datetime(2026, 9, 1, 12, tzinfo=UTC)  # agent-mover in team-west


def scope_at(at: datetime) -> Scope:
    return Scope(ROSTER, clock=lambda: at)


def who(subject: str, role: str | None = None, at: datetime = AFTER_MOVE) -> Principal:
    return principal(ROSTER, subject, role, clock=lambda: at)


# --- who the caller is ---------------------------------------------------------------------


def test_the_roster_not_the_token_says_what_a_roster_person_is() -> None:
    assert who("lead-east", "admin") == Principal("manager", "lead-east", ("team-east",))
    assert who("dir-paris").teams == ("team-east", "team-west")
    assert who("dir-paris").sites == ("paris",)
    assert who("dir-centre").reads_everything and not who("dir-paris").reads_everything
    assert who("agent-mover", at=BEFORE_MOVE).team == "team-east"
    assert who("agent-mover", at=AFTER_MOVE).team == "team-west"


def test_only_service_roles_may_be_outside_the_roster() -> None:
    for service in ("admin", "auditor", "ingest"):
        assert who("robot", service) == Principal(service, "robot")
    for role in ("manager", "agent", "director"):
        with pytest.raises(NotOnRoster, match="robot is not on the roster"):
            who("robot", role)
    with pytest.raises(Unidentified, match="names no role and robot is not on the roster"):
        who("robot")


def test_a_manager_moved_in_the_roster_is_resolved_as_moved() -> None:
    people = CENTRE_PEOPLE.replace("manager,,team-east,", "manager,,team-west,")
    assert principal(roster_index(CENTRE_TEAMS, people), "lead-east").teams == ("team-west",)


# --- writes --------------------------------------------------------------------------------


def test_the_cross_team_writes_of_the_issue_are_refused() -> None:
    scope = scope_at(AFTER_MOVE)
    with pytest.raises(Forbidden, match="agent-west belongs to team team-west"):
        scope.record_team(who("lead-east"), "agent-west", "team-east")
    assert scope.record_team(who("lead-west"), "agent-west", "team-west") == "team-west"


def test_the_recorded_team_is_the_roster_s_and_a_body_naming_another_is_refused() -> None:
    scope = scope_at(AFTER_MOVE)
    assert scope.record_team(who("lead-west"), "agent-west", None) == "team-west"
    assert scope.record_team(who("root"), "agent-west", None) == "team-west"
    with pytest.raises(
        Forbidden, match=r"belongs to team team-west \(roster\), not to team team-east"
    ):
        scope.record_team(who("root"), "agent-west", "team-east")


def test_a_record_of_the_days_before_a_move_may_name_the_team_of_those_days() -> None:
    scope = scope_at(AFTER_MOVE)
    q3, q4 = (date(2026, 7, 1), date(2026, 9, 30)), (date(2026, 10, 1), date(2026, 12, 31))
    assert scope.record_team(who("lead-west"), "agent-mover", "team-east", q3) == "team-east"
    assert scope.record_team(who("lead-west"), "agent-mover", "team-west", q3) == "team-west"
    with pytest.raises(Forbidden, match="not to team team-east during the period"):
        scope.record_team(who("lead-west"), "agent-mover", "team-east", q4)
    with pytest.raises(Forbidden):  # the caller manages the agent's team now, not the old one
        scope.record_team(who("lead-east"), "agent-mover", "team-east", q3)
    with pytest.raises(Forbidden):  # agent-west was never in team-east
        scope.record_team(who("root"), "agent-west", "team-east", q3)


def test_the_teams_of_a_period_follow_the_memberships() -> None:
    assert teams_during(ROSTER, "agent-mover", date(2026, 8, 14), date(2026, 8, 14)) == {
        "team-east"
    }
    assert teams_during(ROSTER, "agent-mover", date(2026, 8, 1), date(2026, 8, 31)) == {
        "team-east",
        "team-west",
    }
    assert teams_during(ROSTER, "agent-mover", date(2025, 1, 1), date(2025, 12, 31)) == set()
    assert teams_during(ROSTER, "nobody", date(2026, 1, 1), date(2026, 12, 31)) == set()


def test_an_agent_the_roster_does_not_know_is_refused_once_there_is_a_roster() -> None:
    with pytest.raises(InvalidValue) as refused:
        scope_at(AFTER_MOVE).record_team(who("root"), "agent-nowhere", "team-east")
    assert refused.value.field == "agent_id"
    empty = Scope(RosterIndex())
    assert empty.record_team(Principal("admin", "root"), "agent-nowhere", "team-x") == "team-x"


def test_writes_follow_the_agent_s_team_at_the_moment_of_the_action() -> None:
    before, after = scope_at(BEFORE_MOVE), scope_at(AFTER_MOVE)
    east, west = who("lead-east"), who("lead-west")
    before.check_agent_write(east, "agent-mover")
    after.check_agent_write(west, "agent-mover")
    with pytest.raises(Forbidden):
        before.check_agent_write(west, "agent-mover")
    with pytest.raises(Forbidden):
        after.check_agent_write(east, "agent-mover")
    # A move planned for later changes nothing yet.
    after.check_agent_write(east, "agent-later")


@pytest.mark.parametrize("subject", ["dir-paris", "dir-centre", "ann", "agent-east"])
def test_directors_auditors_and_agents_change_no_agent_s_records(subject: str) -> None:
    scope = scope_at(AFTER_MOVE)
    with pytest.raises(Forbidden):
        scope.record_team(who(subject), "agent-east", None)
    with pytest.raises(Forbidden):
        scope.check_agent_write(who(subject), "agent-east")
    with pytest.raises(Forbidden):
        scope.check_team_write(who(subject), "team-east")


def test_a_director_sets_team_goals_for_the_teams_of_their_sites_only() -> None:
    scope = scope_at(AFTER_MOVE)
    scope.check_team_goal_write(who("dir-paris"), "team-west")
    scope.check_team_goal_write(who("dir-centre"), "team-north")
    with pytest.raises(Forbidden, match="not in your sites"):
        scope.check_team_goal_write(who("dir-paris"), "team-north")
    with pytest.raises(Forbidden):
        scope.check_team_goal_write(who("dir-centre"), "team-nowhere")
    scope.check_assignment(who("dir-paris"), "team-east", ["agent-east", "agent-east-2"])


def test_a_template_is_assigned_only_to_roster_agents_of_its_team_now() -> None:
    scope = scope_at(AFTER_MOVE)
    scope.check_assignment(who("lead-west"), "team-west", ["agent-west", "agent-mover"])
    with pytest.raises(InvalidValue) as unknown:
        scope.check_assignment(who("lead-west"), "team-west", ["agent-west", "ghost-2", "ghost-1"])
    assert unknown.value.ids == {"unknown": ["ghost-1", "ghost-2"]}
    with pytest.raises(Forbidden, match="not agents of team team-west now: agent-east"):
        scope.check_assignment(who("root"), "team-west", ["agent-west", "agent-east"])
    with pytest.raises(Forbidden):
        scope.check_assignment(who("lead-east"), "team-west", ["agent-west"])


# --- reads ---------------------------------------------------------------------------------

EAST_RECORD = {"team_id": "team-east", "agent_id": "agent-east"}
MOVER_OLD_RECORD = {"team_id": "team-east", "agent_id": "agent-mover"}


@pytest.mark.parametrize(
    ("subject", "role", "record", "readable"),
    [
        ("root", None, EAST_RECORD, True),
        ("ann", None, EAST_RECORD, True),
        ("robot", "auditor", EAST_RECORD, True),
        ("dir-centre", None, EAST_RECORD, True),
        ("dir-paris", None, EAST_RECORD, True),
        ("dir-paris", None, {"team_id": "team-north", "agent_id": "agent-north"}, False),
        ("lead-east", None, EAST_RECORD, True),
        ("lead-west", None, EAST_RECORD, False),
        ("agent-east", None, EAST_RECORD, True),
        ("agent-east-2", None, EAST_RECORD, False),
        ("robot", "ingest", EAST_RECORD, False),
        # A record stays with the team it was kept for; the agent's new manager reads it too.
        ("lead-east", None, MOVER_OLD_RECORD, True),
        ("lead-west", None, MOVER_OLD_RECORD, True),
        ("lead-north", None, MOVER_OLD_RECORD, False),
    ],
)
def test_records_are_read_by_role_team_and_site(
    subject: str, role: str | None, record: dict[str, str], readable: bool
) -> None:
    assert scope_at(AFTER_MOVE).can_read(who(subject, role), record) is readable


def test_lists_keep_to_the_caller_s_teams_or_own_records() -> None:
    scope = scope_at(AFTER_MOVE)
    assert scope.page_filters(who("lead-east"), None) == (None, ("team-east",))
    assert scope.page_filters(who("lead-west"), "agent-mover") == ("agent-mover", None)
    assert scope.page_filters(who("lead-east"), "agent-mover") == ("agent-mover", ("team-east",))
    assert scope.page_filters(who("dir-paris"), None) == (None, ("team-east", "team-west"))
    assert scope.page_filters(who("dir-centre"), "x") == ("x", None)
    assert scope.page_filters(who("agent-west"), "agent-east") == ("agent-west", None)
    with pytest.raises(Forbidden):
        scope.page_filters(who("pbx", "ingest"), None)


def test_team_figures_are_for_the_team_s_readers_and_its_agents_now() -> None:
    scope = scope_at(AFTER_MOVE)
    scope.check_team_figures(who("agent-mover"), "team-west")
    scope.check_team_figures(who("dir-paris"), "team-east")
    for subject, team in (("agent-mover", "team-east"), ("dir-paris", "team-north")):
        with pytest.raises(Forbidden):
            scope.check_team_figures(who(subject), team)
    with pytest.raises(Forbidden):  # staff views are not for agents
        scope.check_team_read(who("agent-west"), "team-west")


def test_an_agent_s_figures_follow_the_roster_else_telephony() -> None:
    scope = scope_at(AFTER_MOVE)
    telephony = {"agent-x": "team-north"}.get
    scope.check_agent_figures(who("lead-west"), "agent-mover", telephony)
    scope.check_agent_figures(who("lead-north"), "agent-x", telephony)
    scope.check_agent_figures(who("agent-east"), "agent-east", telephony)
    for subject, agent in (("lead-east", "agent-mover"), ("agent-east", "agent-east-2")):
        with pytest.raises(Forbidden):
            scope.check_agent_figures(who(subject), agent, telephony)


def test_the_team_list_is_cut_to_the_caller() -> None:
    scope = scope_at(AFTER_MOVE)
    found = ["team-east", "team-north", "team-west", "team-x"]
    assert scope.readable_teams(who("dir-paris"), found) == ["team-east", "team-west"]
    assert scope.readable_teams(who("agent-north"), found) == ["team-north"]
    assert scope.readable_teams(who("ann"), found) == found
