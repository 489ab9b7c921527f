"""The application's commands over an in-memory event store."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from aggregates.errors import InvalidValue, RuleViolation, VersionConflict
from aggregates.goal import Goal
from engine.application import PerfLedger
from engine.commands import (
    AssignTemplate,
    CreateGoalTemplate,
    PublishReviewTemplate,
    RecordCheckIn,
    ScoreCriterion,
    SetGoal,
    StartReview,
)

MANAGER = "manager:bob"
Q3: dict[str, Any] = {"period_start": date(2026, 7, 1), "period_end": date(2026, 9, 30)}


@pytest.fixture
def app() -> PerfLedger:
    return PerfLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def set_goal(app: PerfLedger, agent: str = "a1", **changes: Any) -> Goal:
    fields: dict[str, Any] = {
        "agent_id": agent,
        "team_id": "t",
        "title": "AHT",
        "kpi": "aht_seconds",
        "target": 300,
        "direction": "at_most",
        "weight": 1,
        **Q3,
    }
    return app.set_goal(SetGoal(**{**fields, **changes}), MANAGER)


def at(month: int, day: int = 1) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


def start_review(app: PerfLedger, goals: list[Goal], **changes: Any) -> Any:
    fields: dict[str, Any] = {
        "agent_id": "a1",
        "team_id": "t",
        "goal_ids": [str(g.id) for g in goals],
        "criteria": ["quality"],
        "goal_weight": 0.5,
        **Q3,
    }
    return app.start_review(StartReview(**{**fields, **changes}), MANAGER)


def test_record_progress_takes_the_process_managers_arguments(app: PerfLedger) -> None:
    goal = set_goal(app)
    app.record_progress(
        goal.id, 320.0, at(8), "kpi:aht_seconds", "system:progress", note="interval"
    )
    app.record_progress(str(goal.id), 300.0, at(9), "kpi:aht_seconds", "system:progress")
    stored = app.load(Goal, goal.id)
    assert stored.latest_value == 300.0 and stored.attainment == 1.0 and stored.version == 3


def test_a_stale_expected_version_changes_nothing(app: PerfLedger) -> None:
    goal = set_goal(app)
    with pytest.raises(VersionConflict):
        app.record_goal_progress(goal.id, 1.0, at(8), "manual", MANAGER, expected_version=2)
    assert app.load(Goal, goal.id).version == 1


def test_bulk_assignment_sets_one_goal_per_agent_in_one_save(app: PerfLedger) -> None:
    template = app.create_goal_template(
        CreateGoalTemplate(
            team_id="t", title="CSAT", kpi="csat_avg", target=4.5, direction="at_least", **Q3
        ),
        MANAGER,
    )
    before = app.recorder.max_notification_id() or 0
    agents = [f"agent-{n}" for n in range(300)]
    template, goals = app.assign_goal_template(
        template.id, AssignTemplate(agent_ids=agents), MANAGER
    )
    notifications = app.recorder.select_notifications(before + 1, 1000)
    assert len(notifications) == 301
    assert sorted(template.assignments) == sorted(agents)
    assert {g.template_id for g in goals} == {str(template.id)} and goals[0].title == "CSAT"


def test_a_bulk_assignment_with_one_agent_already_assigned_sets_no_goal(app: PerfLedger) -> None:
    template = app.create_goal_template(
        CreateGoalTemplate(team_id="t", title="CSAT", target=4.5, direction="at_least", **Q3),
        MANAGER,
    )
    app.assign_goal_template(template.id, AssignTemplate(agent_ids=["a1"]), MANAGER)
    before = app.recorder.max_notification_id()
    with pytest.raises(RuleViolation):
        app.assign_goal_template(template.id, AssignTemplate(agent_ids=["a2", "a1"]), MANAGER)
    assert app.recorder.max_notification_id() == before


def test_a_check_in_keeps_the_goals_progress_as_it_was_then(app: PerfLedger) -> None:
    goal = set_goal(app)
    app.record_progress(goal.id, 400.0, at(8), "kpi:aht_seconds", "system:progress")
    check_in = app.record_check_in(
        RecordCheckIn(agent_id="a1", team_id="t", held_at=at(8, 2), goal_ids=[str(goal.id)]),
        MANAGER,
    )
    app.record_progress(goal.id, 300.0, at(9), "kpi:aht_seconds", "system:progress")
    assert check_in.goals[0]["latest_value"] == 400.0 and check_in.goals[0]["attainment"] == 0.75


def test_a_check_in_refuses_another_agents_goal(app: PerfLedger) -> None:
    other = set_goal(app, agent="a2")
    with pytest.raises(InvalidValue) as error:
        app.record_check_in(
            RecordCheckIn(agent_id="a1", team_id="t", held_at=at(8), goal_ids=[str(other.id)]),
            MANAGER,
        )
    assert error.value.field == "goal_ids[0]"


def test_a_review_records_the_stored_policy_version_it_used(app: PerfLedger) -> None:
    app.publish_review_template(
        PublishReviewTemplate(policy_id="std", criteria=["quality"], goal_weight=0.5), "admin:alice"
    )
    app.publish_review_template(
        PublishReviewTemplate(policy_id="std", criteria=["quality", "care"], goal_weight=0.4),
        "admin:alice",
    )
    latest = start_review(app, [], criteria=None, policy_id="std")
    first = start_review(app, [], criteria=None, policy_id="std", policy_version=1, agent_id="a2")
    assert (latest.policy_version, latest.criteria, latest.goal_weight) == (
        2,
        ["quality", "care"],
        0.4,
    )
    assert (first.policy_version, first.criteria) == (1, ["quality"])


def test_an_unknown_policy_is_invalid_input(app: PerfLedger) -> None:
    with pytest.raises(InvalidValue) as error:
        start_review(app, [], criteria=None, policy_id="nope")
    assert error.value.field == "policy_id"


def test_finalising_weighs_the_in_scope_goals_attainment(app: PerfLedger) -> None:
    met, half = set_goal(app, weight=3), set_goal(app, weight=1)
    app.record_progress(met.id, 300.0, at(8), "kpi", "system:progress")  # attainment 1.0
    app.record_progress(half.id, 600.0, at(8), "kpi", "system:progress")  # attainment 0.5
    review = start_review(app, [met, half])
    app.score_review(
        review.id, ScoreCriterion(criterion="quality", score=3, rationale="ok"), MANAGER
    )
    review = app.finalise_review(review.id, MANAGER)
    # A = (1.0*3 + 0.5*1) / 4 = 0.875 -> G = 1 + 2*0.875 = 2.75; overall 0.5*2.75 + 0.5*3.
    assert review.overall_score == 2.88
    assert [r["weight"] for r in review.finalisations[0]["goal_results"]] == [3.0, 1.0]


def test_a_cancelled_goal_does_not_count_in_the_overall_score(app: PerfLedger) -> None:
    kept, dropped = set_goal(app), set_goal(app)
    app.record_progress(kept.id, 300.0, at(8), "kpi", "system:progress")
    app.record_progress(dropped.id, 3000.0, at(8), "kpi", "system:progress")
    app.cancel_goal(dropped.id, "moved to another queue", MANAGER)
    review = start_review(app, [kept, dropped], criteria=[])
    review = app.finalise_review(review.id, MANAGER)
    assert review.overall_score == 3.0


def test_a_review_refuses_goals_of_another_agent(app: PerfLedger) -> None:
    with pytest.raises(InvalidValue):
        start_review(app, [set_goal(app, agent="a2")])


def test_closing_without_a_time_closes_as_of_now(app: PerfLedger) -> None:
    goal = app.close_goal(set_goal(app).id, None, MANAGER)
    assert goal.status == "missed" and goal.closed is not None
    assert goal.closed["as_of"] <= datetime.now(UTC)
