"""The application services on fakes (no I/O): scope first, on the one load the command uses."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from aggregates.contract import envelope_of
from aggregates.errors import NotFound, VersionConflict
from engine.application import PerfLedger
from engine.commands import ReviseTarget, SetGoal
from engine.scope import (
    Forbidden,
    check_manage,
    check_own,
    check_read,
    check_team_read,
    own_agent,
    readable_teams,
)
from engine.services.goals import GoalService
from engine.tokens import Principal
from tests.fakes import FakeDocuments, FakeReadModels

ADMIN = Principal("admin", "alice")
MANAGER = Principal("manager", "bob", ("team-a",))
OUTSIDER = Principal("manager", "eve", ("team-b",))
AGENT = Principal("agent", "agent-1")
AUDITOR = Principal("auditor", "ann")
GOAL = SetGoal(
    agent_id="agent-1",
    team_id="team-a",
    title="AHT",
    kpi="aht_seconds",
    target=300.0,
    direction="at_most",
    period_start=date(2026, 7, 1),
    period_end=date(2026, 10, 1),
)


class Counting:
    def __init__(self, get: Callable[..., Any]) -> None:
        self.inner, self.loads = get, Counter[str]()

    def __call__(self, aggregate_id: UUID, *args: Any, **kwargs: Any) -> Any:
        self.loads[str(aggregate_id)] += 1
        return self.inner(aggregate_id, *args, **kwargs)


@pytest.fixture
def world() -> tuple[GoalService, PerfLedger, FakeDocuments, Counting]:
    app = PerfLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    docs = FakeDocuments(FakeReadModels())
    counting = Counting(app.repository.get)
    app.repository.get = counting  # type: ignore[method-assign]
    return GoalService(app, docs), app, docs, counting


def sync(app: PerfLedger, docs: FakeDocuments) -> None:
    docs.record(
        envelope_of(n.id, n.topic, app.event_as_dict(n))
        for n in app.recorder.select_notifications(1, 100)
    )


def test_a_manager_changes_goals_of_their_team_with_one_load(world: Any) -> None:
    service, _, _, counting = world
    goal = service.set(MANAGER, GOAL)
    counting.loads.clear()
    revised = service.revise_target(
        MANAGER, goal.id, ReviseTarget(target=280, reason="baseline"), 1
    )
    assert revised.target == 280 and revised.version == 2
    assert counting.loads == {str(goal.id): 1}


def test_a_caller_outside_the_team_is_refused_before_the_version_is_compared(world: Any) -> None:
    service, _, _, counting = world
    goal = service.set(ADMIN, GOAL)
    counting.loads.clear()
    with pytest.raises(
        Forbidden
    ):  # not VersionConflict: a stale If-Match says nothing to an outsider
        service.revise_target(OUTSIDER, goal.id, ReviseTarget(target=280, reason="baseline"), 7)
    assert counting.loads == {str(goal.id): 1}
    with pytest.raises(VersionConflict):
        service.revise_target(MANAGER, goal.id, ReviseTarget(target=280, reason="baseline"), 7)


def test_setting_a_goal_in_another_team_is_refused_before_anything_is_stored(world: Any) -> None:
    service, app, _, _ = world
    with pytest.raises(Forbidden):
        service.set(OUTSIDER, GOAL)
    assert app.recorder.max_notification_id() in (None, 0)


def test_an_unknown_goal_is_not_found_for_anyone(world: Any) -> None:
    service, _, _, _ = world
    with pytest.raises(NotFound):
        service.activate(OUTSIDER, UUID(int=7), None)


def test_reads_keep_to_the_caller_s_scope(world: Any) -> None:
    service, app, docs, _ = world
    goal = service.set(ADMIN, GOAL)
    service.set(ADMIN, GOAL.model_copy(update={"agent_id": "agent-2", "team_id": "team-b"}))
    sync(app, docs)
    assert service.get(AGENT, str(goal.id))["agent_id"] == "agent-1"
    with pytest.raises(Forbidden):
        service.get(OUTSIDER, str(goal.id))
    assert [g["agent_id"] for g in service.page(AGENT, "agent-2", None, None, 10, None)] == [
        "agent-1"
    ]
    assert [g["team_id"] for g in service.page(MANAGER, None, None, None, 10, None)] == ["team-a"]
    assert len(service.page(AUDITOR, None, None, None, 10, None)) == 2
    with pytest.raises(Forbidden):
        service.rollup(OUTSIDER, "team-a", None, None, None)
    assert service.rollup(MANAGER, "team-a", None, None, None)["goals"] == 1


@pytest.mark.parametrize(
    ("who", "team", "allowed"),
    [
        (ADMIN, "team-a", True),
        (MANAGER, "team-a", True),
        (MANAGER, "team-b", False),
        (AUDITOR, "team-a", False),
        (AGENT, "team-a", False),
    ],
)
def test_only_admins_and_the_team_s_managers_change_its_records(
    who: Principal, team: str, allowed: bool
) -> None:
    if allowed:
        check_manage(who, team)
    else:
        with pytest.raises(Forbidden):
            check_manage(who, team)


def test_reading_follows_the_role() -> None:
    record = {"team_id": "team-a", "agent_id": "agent-1"}
    for who in (ADMIN, AUDITOR, MANAGER, AGENT):
        check_read(who, record)
    for who in (OUTSIDER, Principal("agent", "agent-2"), Principal("ingest", "pbx")):
        with pytest.raises(Forbidden):
            check_read(who, record)
    check_team_read(AUDITOR, "team-a")
    with pytest.raises(Forbidden):
        check_team_read(AGENT, "team-a")
    assert readable_teams(MANAGER) == ("team-a",) and readable_teams(AUDITOR) is None
    assert own_agent(AGENT, "agent-9") == "agent-1" and own_agent(MANAGER, "agent-9") == "agent-9"
    check_own(AGENT, "agent-1")
    with pytest.raises(Forbidden):
        check_own(ADMIN, "agent-1")
