"""Pure read models of goals (progress, close), check-ins, reviews and templates; roll-ups."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from aggregates.contract import envelope_of, plain
from engine.application import PerfLedger
from engine.commands import (
    Calibrate,
    Dispute,
    PublishReviewTemplate,
    RecordCheckIn,
    ScoreCriterion,
    StartReview,
)
from projections.goals import roll_up
from projections.store import BUILDERS
from tests.unit.test_application import MANAGER, Q3, at, set_goal


def project(app: PerfLedger) -> dict[str, dict[str, Any]]:
    docs: dict[str, dict[str, Any]] = {}
    for n in app.recorder.select_notifications(1, 10_000):
        event = envelope_of(n.id, n.topic, app.event_as_dict(n))
        docs[event.id] = BUILDERS[event.kind](docs.get(event.id), event)
    return docs


@pytest.fixture
def app() -> PerfLedger:
    return PerfLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def test_the_review_document_agrees_with_the_aggregate(app: PerfLedger) -> None:
    app.publish_review_template(
        PublishReviewTemplate(policy_id="p", criteria=["quality", "care"], goal_weight=0.5),
        "admin:alice",
    )
    goal = set_goal(app)
    app.record_progress(goal.id, 280.0, at(8), "kpi", "system:progress")
    review = app.start_review(
        StartReview(agent_id="a1", team_id="t", goal_ids=[str(goal.id)], policy_id="p", **Q3),
        MANAGER,
    )
    for name, score in (("quality", 4), ("care", 3)):
        app.score_review(
            review.id, ScoreCriterion(criterion=name, score=score, rationale="seen"), MANAGER
        )
    app.calibrate_review(review.id, Calibrate(adjustment=-0.25, reason="panel"), "admin:hr")
    app.finalise_review(review.id, MANAGER)
    app.dispute_review(review.id, Dispute(reason="too low"), "agent:a1")
    app.reopen_review(review.id, "dispute accepted", MANAGER)
    app.score_review(
        review.id,
        ScoreCriterion(criterion="care", score=5, rationale="more", reason="new evidence"),
        MANAGER,
    )
    aggregate = app.finalise_review(review.id, MANAGER)
    doc = project(app)[str(review.id)]
    state = plain({k: v for k, v in vars(aggregate).items() if not k.startswith("_")})
    assert {k: doc[k] for k in state} == state
    assert doc["open_disputes"] == [] and doc["disputes"][0]["status"] == "rescored"
    assert doc["version"] == aggregate.version


def test_check_in_action_items_are_numbered_from_one_and_feedback_uses_outcome(
    app: PerfLedger,
) -> None:
    check_in = app.record_check_in(
        RecordCheckIn.model_validate(
            dict(
                agent_id="a1",
                team_id="t",
                held_at=at(8),
                feedback=[
                    {"kind": "positive", "behavior": "b", "impact": "i", "outcome": "thanks"}
                ],
                action_items=[
                    {"description": d, "owner_id": "a1", "due": "2026-09-01"} for d in "xy"
                ],
            )
        ),
        MANAGER,
    )
    app.complete_action_item(check_in.id, 1, MANAGER)
    doc = project(app)[str(check_in.id)]
    assert [(i["n"], i["completed_by"]) for i in doc["action_items"]] == [(1, None), (2, MANAGER)]
    assert doc["feedback"][0]["outcome"] == "thanks" and doc["open_action_items"] == 1


def test_the_goal_document_shows_progress_attainment_and_outcome(app: PerfLedger) -> None:
    goal = set_goal(app)
    app.record_progress(goal.id, 400.0, at(8), "kpi", "system:progress")
    app.revise_target(goal.id, 400.0, "new queue", MANAGER)
    app.close_goal(goal.id, datetime(2026, 10, 1, tzinfo=UTC), MANAGER)
    doc = project(app)[str(goal.id)]
    assert doc["attainment"] == 1.0 and doc["status"] == "achieved"
    assert doc["latest_progress"]["value"] == 400.0 and doc["closed"]["outcome"] == "achieved"


def test_roll_up_weighs_attainment_and_leaves_out_cancelled_and_unmeasured_goals() -> None:
    goals: list[dict[str, Any]] = [
        {"status": "active", "attainment": 1.0, "weight": 3.0},
        {"status": "missed", "attainment": 0.5, "weight": 1.0},
        {"status": "active", "attainment": None, "weight": 5.0},
        {"status": "cancelled", "attainment": 0.0, "weight": 9.0},
    ]
    assert roll_up(goals) == {
        "goals": 3,
        "measured": 2,
        "unmeasured": 1,
        "attainment": 0.875,
        "by_status": {"active": 2, "missed": 1, "cancelled": 1},
    }


def test_roll_up_clamps_attainment_like_reviews_do() -> None:
    # One goal of target 1 measured at 22.29 once read 2,229 %; a review counts it as 1.5.
    goals: list[dict[str, Any]] = [
        {"status": "active", "attainment": 22.29, "weight": 1.0},
        {"status": "active", "attainment": 0.5, "weight": 1.0},
        {"status": "missed", "attainment": None, "weight": 2.0},
    ]
    rolled = roll_up(goals)
    assert rolled["attainment"] == (1.5 + 0.5 + 0.0) / 4 and rolled["measured"] == 3


def test_roll_up_takes_only_goals_whose_period_meets_the_range() -> None:
    def goal(start: str, end: str, reached: float) -> dict[str, Any]:
        return {
            "status": "active",
            "attainment": reached,
            "weight": 1.0,
            "period_start": start,
            "period_end": end,
        }

    goals = [goal("2026-07-01", "2026-09-30", 1.0), goal("2026-10-01", "2026-12-31", 0.5)]
    assert roll_up(goals, date(2026, 10, 1), date(2027, 1, 1))["attainment"] == 0.5
    assert roll_up(goals, date(2026, 9, 30), date(2026, 10, 1))["attainment"] == 1.0
    assert roll_up(goals, None, date(2026, 10, 2))["goals"] == 2


def test_roll_up_of_no_measured_goal_has_no_attainment() -> None:
    assert roll_up([])["attainment"] is None
