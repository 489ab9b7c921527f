"""The application services on fakes (no I/O): scope first, on the one load the command uses."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from aggregates.contract import envelope_of
from aggregates.errors import InvalidValue, NotFound, VersionConflict
from engine.application import PerfLedger
from engine.callers import Principal
from engine.commands import ReviseTarget, SetGoal
from engine.health import ComponentHealth, HealthBoard
from engine.scope import Forbidden, Scope, check_own
from engine.services.audit import AuditService
from engine.services.goals import GoalService
from engine.services.kpis import KpiService
from engine.services.operations import OperationsService
from engine.services.telephony import TelephonyService
from engine.settings import Settings
from tests.fakes import (
    FakeDocuments,
    FakeExplanations,
    FakeKpiFigures,
    FakeOperations,
    FakeReadModels,
    FakeRelayPositions,
    FakeSealCheck,
    FakeTelephonyRecords,
)
from tests.rosters import TEAMS_AB, principal, roster_index

ROSTER = roster_index(*TEAMS_AB)
SCOPE = Scope(ROSTER)

ADMIN = principal(ROSTER, "alice", "admin")
MANAGER = principal(ROSTER, "bob")
OUTSIDER = principal(ROSTER, "eve")
AGENT = principal(ROSTER, "agent-1")
AUDITOR = principal(ROSTER, "ann", "auditor")
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
    return GoalService(app, docs, SCOPE), app, docs, counting


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
    ("who", "agent", "allowed"),
    [
        (ADMIN, "agent-1", True),
        (MANAGER, "agent-1", True),
        (MANAGER, "agent-2", False),
        (AUDITOR, "agent-1", False),
        (AGENT, "agent-1", False),
    ],
)
def test_only_admins_and_the_managers_of_the_agent_s_team_change_its_records(
    who: Principal, agent: str, allowed: bool
) -> None:
    if allowed:
        SCOPE.check_agent_write(who, agent)
    else:
        with pytest.raises(Forbidden):
            SCOPE.check_agent_write(who, agent)


def test_reading_follows_the_role() -> None:
    record = {"team_id": "team-a", "agent_id": "agent-1"}
    for who in (ADMIN, AUDITOR, MANAGER, AGENT):
        SCOPE.check_read(who, record)
    for who in (OUTSIDER, principal(ROSTER, "agent-2"), principal(ROSTER, "pbx", "ingest")):
        with pytest.raises(Forbidden):
            SCOPE.check_read(who, record)
    SCOPE.check_team_read(AUDITOR, "team-a")
    with pytest.raises(Forbidden):
        SCOPE.check_team_read(AGENT, "team-a")
    assert SCOPE.page_filters(MANAGER, None) == (None, ("team-a",))
    assert SCOPE.page_filters(AUDITOR, None) == (None, None)
    assert SCOPE.page_filters(AGENT, "agent-9") == ("agent-1", None)
    assert SCOPE.page_filters(MANAGER, "agent-9") == ("agent-9", ("team-a",))
    check_own(AGENT, "agent-1")
    with pytest.raises(Forbidden):
        check_own(ADMIN, "agent-1")


# --- the read services on the fakes of their ports -------------------------------------------


def call(agent: str, team: str, minute: int, talk: int) -> dict[str, Any]:
    """One accepted call.completed on 5 October 2026 at 09:minute UTC."""
    return {
        "event_id": f"{agent}-{minute}",
        "type": "call.completed",
        "agent_id": agent,
        "team_id": team,
        "occurred_at": datetime(2026, 10, 5, 9, minute, tzinfo=UTC),
        "call_id": f"{agent}-call-{minute}",
        "talk_seconds": talk,
        "hold_seconds": 0,
        "acw_seconds": 0,
        "transferred": False,
        "resolved_first_contact": True,
        "schema_version": 1,
    }


@pytest.fixture
def kpi_service() -> KpiService:
    models = FakeReadModels()
    models.accept(
        [
            call("agent-1", "team-a", 0, 300),
            call("agent-2", "team-a", 1, 100),
            call("agent-3", "team-a", 2, 200),
            call("agent-9", "team-b", 3, 50),
        ]
    )
    return KpiService(FakeKpiFigures(models), SCOPE)


def test_a_leaderboard_ranks_the_team_s_agents_best_first_and_pages_by_rank(
    kpi_service: KpiService,
) -> None:
    board = kpi_service.leaderboard(MANAGER, "team-a", "aht_seconds", None, None, None, 2, None)
    assert board["order"] == "ascending"  # a lower handle time is better
    assert [(r["rank"], r["agent_id"]) for r in board["rows"]] == [(1, "agent-2"), (2, "agent-3")]
    assert board["next_cursor"] == 2
    rest = kpi_service.leaderboard(MANAGER, "team-a", "aht_seconds", None, None, None, 2, 2)
    assert [(r["rank"], r["agent_id"]) for r in rest["rows"]] == [(3, "agent-1")]
    assert rest["next_cursor"] is None


def test_kpis_keep_to_the_caller_s_scope_and_an_unknown_team_is_not_found(
    kpi_service: KpiService,
) -> None:
    mine = kpi_service.agent(AGENT, "agent-1", None, None, "day", 10, None, None)
    assert [r["aht_seconds"] for r in mine["rows"]] == [300]
    with pytest.raises(Forbidden):
        kpi_service.agent(AGENT, "agent-2", None, None, "day", 10, None, None)
    with pytest.raises(Forbidden):  # agent-9 is of team-b
        kpi_service.agent(MANAGER, "agent-9", None, None, "day", 10, None, None)
    assert kpi_service.team(OUTSIDER, "team-b", None, None, "total", 10, None, None)["rows"]
    with pytest.raises(Forbidden):
        kpi_service.team(OUTSIDER, "team-a", None, None, "total", 10, None, None)
    with pytest.raises(NotFound):
        kpi_service.team(ADMIN, "team-z", None, None, "day", 10, None, None)
    with pytest.raises(InvalidValue):
        kpi_service.team(
            ADMIN, "team-a", date(2026, 10, 6), date(2026, 10, 5), "day", 10, None, None
        )


def operations(lag: int, stored: list[ComponentHealth] | None = None) -> OperationsService:
    app = PerfLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    records = FakeOperations(app, FakeRelayPositions())
    records.offsets[("projector", "events", 0)] = (0, lag)
    records.health = stored or []
    records.park("projector", "agg-1", 2, "projector", "bad payload")
    settings = Settings(_env_file=None, ready_max_lag=5, stuck_after_seconds=30)  # type: ignore[call-arg]
    return OperationsService(records, settings, HealthBoard(), {})


def test_readiness_names_the_consumer_that_lags_beyond_the_bound() -> None:
    status, body, _ = operations(lag=5).readiness()
    assert status == 200 and body["ready"] and body["parked"] == {"projector": 1}
    status, body, _ = operations(lag=6).readiness()
    assert status == 503 and body["lagging"] == ["projector"]


def test_readiness_reports_a_worker_of_another_process_stuck_on_one_position() -> None:
    now = datetime.now(UTC)
    stuck = ComponentHealth(
        "projector", "elsewhere", 4, now - timedelta(minutes=5), now, "events/0@7", "boom"
    )
    status, body, _ = operations(lag=0, stored=[stuck]).readiness()
    assert status == 503 and [s["instance"] for s in body["stuck"]] == ["elsewhere"]


def test_parked_events_are_for_admins_and_auditors_only() -> None:
    service = operations(lag=0)
    listed = service.parked(AUDITOR, None, 10)
    assert listed["counts"] == {"projector": 1} and listed["items"][0]["reason"] == "bad payload"
    with pytest.raises(Forbidden):
        service.parked(MANAGER, None, 10)


def test_telephony_records_are_read_by_their_roles_and_an_unknown_event_is_not_found() -> None:
    records = FakeTelephonyRecords()
    records.deliver(date(2026, 10, 5), "http", [2, 1, 1, 0])
    service = TelephonyService(intake=None, records=records, scope=SCOPE)  # type: ignore[arg-type]
    ingest = principal(ROSTER, "pbx", "ingest")
    assert service.deliveries(ingest, date(2026, 10, 5))["total"]["accepted"] == 1
    with pytest.raises(Forbidden):
        service.deliveries(MANAGER, date(2026, 10, 5))
    with pytest.raises(NotFound):
        service.corrections(AUDITOR, "no-such-event")
    records.trails["abc"] = {"event_id": "abc", "corrections": []}
    assert service.corrections(AUDITOR, "ABC")["event_id"] == "abc"  # ids are matched lower-case
    assert service.mismatches(AUDITOR) == {"rows": []}


@pytest.fixture
def audit() -> tuple[AuditService, PerfLedger, FakeSealCheck]:
    app = PerfLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    seals = FakeSealCheck(app)
    docs = FakeDocuments(FakeReadModels())
    return AuditService(app, docs, FakeExplanations(app), seals, SCOPE), app, seals


def test_verification_is_for_admins_and_auditors_and_reports_altered_events(audit: Any) -> None:
    service, app, seals = audit
    app.set_goal(GOAL, "admin:alice")
    seals.seal()
    assert service.verify(AUDITOR, None, None)["ok"]
    with pytest.raises(Forbidden):
        service.verify(MANAGER, None, None)
    with pytest.raises(InvalidValue):
        service.verify(ADMIN, "7:short", None)
    seals.tamper(1, b"agent-1", b"agent-2")
    assert service.verify(ADMIN, None, None)["first_problem"]["kind"] == "bytes"


def test_explanations_keep_to_the_caller_s_scope(audit: Any) -> None:
    service, app, _ = audit
    manual = GOAL.model_copy(update={"kpi": "manual", "direction": "at_least"})
    goal = app.set_goal(manual, "admin:alice")
    app.record_progress(goal.id, 3.0, datetime(2026, 7, 2, tzinfo=UTC), "manual", "admin:alice")
    assert service.explain_progress(MANAGER, goal.id, 1)["value"] == 3.0
    assert service.explain_progress(AGENT, goal.id, 1)["kind"] == "manual"
    with pytest.raises(Forbidden):
        service.explain_progress(OUTSIDER, goal.id, 1)
    with pytest.raises(NotFound):
        service.explain_review(ADMIN, UUID(int=7))
