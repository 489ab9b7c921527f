"""Review: scoring, 360-degree inputs, calibration, finalisation, disputes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from aggregates.errors import InvalidValue, RuleViolation
from aggregates.review import Review
from aggregates.scoring import ScoringPolicy
from engine.application import PerfLedger

AGENT, REVIEWER, CALIBRATOR = "agent-7", "manager-1", "hr-2"
POLICY = ScoringPolicy(
    policy_id="agent-2025", version=2, criteria=("quality", "teamwork"), goal_weight=0.5
)
GOALS_MET = [
    {"goal_id": "g-1", "attainment": 1.0, "weight": 2.0},
    {"goal_id": "g-2", "attainment": 1.0, "weight": 1.0},
]


def review(**changes: Any) -> Review:
    fields: dict[str, Any] = {
        "agent_id": AGENT,
        "team_id": "team-a",
        "period_start": date(2025, 1, 1),
        "period_end": date(2025, 3, 31),
        "goal_ids": ["g-1", "g-2"],
        "policy": POLICY.to_dict(),
        "actor": REVIEWER,
    }
    return Review(**{**fields, **changes})


def scored(quality: int = 4, teamwork: int = 4) -> Review:
    subject = review()
    subject.score(criterion="quality", score=quality, rationale="Few QA errors", actor=REVIEWER)
    subject.score(criterion="teamwork", score=teamwork, rationale="Helps peers", actor=REVIEWER)
    return subject


def finalised(**scores: int) -> Review:
    subject = scored(**scores)
    subject.finalise(goal_results=GOALS_MET, actor=REVIEWER)
    return subject


def disputed(criterion: str | None = None) -> Review:
    subject = finalised()
    subject.dispute(reason="My QA sample was unrepresentative", actor=AGENT, criterion=criterion)
    return subject


def last_event(subject: Review) -> Any:
    return subject.collect_events()[-1]


# --- starting ------------------------------------------------------------------------


def test_a_review_records_the_policy_id_and_version_it_was_started_under() -> None:
    subject = review()
    assert (subject.policy_id, subject.policy_version) == ("agent-2025", 2)
    assert subject.policy == POLICY
    assert subject.reviewer == REVIEWER
    assert subject.status == "in_progress"


def test_a_review_refuses_a_malformed_policy() -> None:
    with pytest.raises(InvalidValue):
        review(policy={**POLICY.to_dict(), "goal_weight": 2})


def test_agent_and_team_must_not_be_blank() -> None:
    for field in ("agent_id", "team_id"):
        with pytest.raises(InvalidValue) as error:
            review(**{field: " "})
        assert error.value.field == field


def test_an_agent_cannot_start_their_own_review() -> None:
    with pytest.raises(RuleViolation):
        review(actor=AGENT)


def test_a_review_period_must_end_after_it_starts() -> None:
    with pytest.raises(InvalidValue) as error:
        review(period_end=date(2024, 12, 31))
    assert error.value.field == "period_end"


def test_review_period_bounds_are_calendar_days() -> None:
    with pytest.raises(InvalidValue) as error:
        review(period_start=datetime(2025, 1, 1, 9))
    assert error.value.field == "period_start"


def test_goals_in_scope_are_a_list() -> None:
    with pytest.raises(InvalidValue) as error:
        review(goal_ids="g-1")
    assert error.value.field == "goal_ids"


def test_goal_ids_must_not_be_blank() -> None:
    with pytest.raises(InvalidValue) as error:
        review(goal_ids=["g-1", ""])
    assert error.value.field == "goal_ids[1]"


def test_a_goal_is_in_scope_once() -> None:
    with pytest.raises(InvalidValue) as error:
        review(goal_ids=["g-1", "g-1"])
    assert error.value.field == "goal_ids"


# --- criteria scores -----------------------------------------------------------------


def test_a_first_score_needs_no_reason_and_enters_the_trail() -> None:
    subject = review()
    subject.score(criterion="quality", score=3, rationale="Average QA", actor=REVIEWER)
    assert subject.scores["quality"]["score"] == 3
    change = subject.score_changes[0]
    assert (change["criterion"], change["before"], change["after"], change["reason"]) == (
        "quality",
        None,
        3,
        None,
    )


def test_changing_a_score_requires_a_reason() -> None:
    subject = scored()
    for reason in (None, "", "   "):
        with pytest.raises(InvalidValue) as error:
            subject.score(
                criterion="quality", score=5, rationale="Better", actor=REVIEWER, reason=reason
            )
        assert error.value.field == "reason"
    assert subject.scores["quality"]["score"] == 4


def test_a_score_change_keeps_before_after_actor_reason_and_time() -> None:
    subject = scored()
    subject.score(
        criterion="quality",
        score=5,
        rationale="Top QA in March",
        actor=CALIBRATOR,
        reason="March QA results arrived",
    )
    event = last_event(subject)
    change = subject.score_changes[-1]
    assert change == {
        "kind": "criterion",
        "criterion": "quality",
        "before": 4,
        "after": 5,
        "rationale": "Top QA in March",
        "actor": CALIBRATOR,
        "reason": "March QA results arrived",
        "at": event.timestamp,
    }
    assert type(event).__name__ == "CriterionScored"


@pytest.mark.parametrize("score", [0, 6, 2.5, True])
def test_a_criterion_score_must_be_from_one_to_five(score: Any) -> None:
    with pytest.raises(InvalidValue) as error:
        review().score(criterion="quality", score=score, rationale="x", actor=REVIEWER)
    assert error.value.field == "score"


def test_a_score_needs_a_rationale() -> None:
    with pytest.raises(InvalidValue) as error:
        review().score(criterion="quality", score=3, rationale=" ", actor=REVIEWER)
    assert error.value.field == "rationale"


def test_only_the_policy_criteria_can_be_scored() -> None:
    with pytest.raises(InvalidValue) as error:
        review().score(criterion="charisma", score=3, rationale="x", actor=REVIEWER)
    assert error.value.field == "criterion"


def test_the_agent_cannot_score_their_own_review() -> None:
    with pytest.raises(RuleViolation):
        review().score(criterion="quality", score=5, rationale="I am great", actor=AGENT)


# --- 360-degree inputs ---------------------------------------------------------------


def test_360_inputs_are_kept_with_source_author_and_rating() -> None:
    subject = review()
    subject.add_feedback(source="self", author_id=AGENT, text="I improved", rating=4, actor=AGENT)
    subject.add_feedback(
        source="peer", author_id="agent-9", text="Helpful", rating=5, actor=REVIEWER
    )
    subject.add_feedback(
        source="customer", author_id="cust-1", text="Kind", rating=5, actor=REVIEWER
    )
    assert [(i["source"], i["author_id"], i["rating"]) for i in subject.inputs] == [
        ("self", AGENT, 4),
        ("peer", "agent-9", 5),
        ("customer", "cust-1", 5),
    ]


def test_an_unknown_360_source_is_refused() -> None:
    with pytest.raises(InvalidValue) as error:
        review().add_feedback(source="vendor", author_id="v-1", text="x", rating=3, actor=REVIEWER)
    assert error.value.field == "source"


@pytest.mark.parametrize("rating", [0, 6, 4.5])
def test_a_360_rating_must_be_from_one_to_five(rating: Any) -> None:
    with pytest.raises(InvalidValue) as error:
        review().add_feedback(
            source="peer", author_id="agent-9", text="x", rating=rating, actor=REVIEWER
        )
    assert error.value.field == "rating"


def test_a_360_input_needs_text() -> None:
    with pytest.raises(InvalidValue) as error:
        review().add_feedback(source="peer", author_id="agent-9", text="", rating=3, actor=REVIEWER)
    assert error.value.field == "text"


def test_a_360_input_needs_an_author() -> None:
    with pytest.raises(InvalidValue) as error:
        review().add_feedback(source="customer", author_id=" ", text="x", rating=3, actor=REVIEWER)
    assert error.value.field == "author_id"


def test_a_self_input_must_be_authored_by_the_agent() -> None:
    with pytest.raises(InvalidValue) as error:
        review().add_feedback(
            source="self", author_id="agent-9", text="x", rating=3, actor=REVIEWER
        )
    assert error.value.field == "author_id"


def test_a_peer_input_cannot_be_authored_by_the_agent_reviewed() -> None:
    with pytest.raises(InvalidValue) as error:
        review().add_feedback(source="peer", author_id=AGENT, text="x", rating=5, actor=AGENT)
    assert error.value.field == "author_id"


def test_the_agent_can_only_give_a_self_input() -> None:
    with pytest.raises(RuleViolation):
        review().add_feedback(source="manager", author_id=REVIEWER, text="x", rating=5, actor=AGENT)


def test_an_author_gives_one_input_per_source() -> None:
    subject = review()
    subject.add_feedback(source="peer", author_id="agent-9", text="x", rating=3, actor=REVIEWER)
    with pytest.raises(RuleViolation):
        subject.add_feedback(source="peer", author_id="agent-9", text="y", rating=5, actor=REVIEWER)


# --- calibration ---------------------------------------------------------------------


def test_calibration_adjustments_accumulate_and_keep_before_and_after() -> None:
    subject = scored()
    subject.calibrate(adjustment=0.25, reason="Calibration panel", actor=CALIBRATOR)
    subject.calibrate(adjustment=-0.1, reason="Second look", actor=CALIBRATOR)
    assert subject.calibration == 0.15
    changes = [(c["kind"], c["before"], c["after"], c["reason"]) for c in subject.score_changes]
    assert changes[-2:] == [
        ("calibration", 0.0, 0.25, "Calibration panel"),
        ("calibration", 0.25, 0.15, "Second look"),
    ]


def test_calibration_requires_a_reason() -> None:
    with pytest.raises(InvalidValue) as error:
        scored().calibrate(adjustment=0.25, reason=" ", actor=CALIBRATOR)
    assert error.value.field == "reason"


def test_a_zero_calibration_is_refused() -> None:
    with pytest.raises(InvalidValue) as error:
        scored().calibrate(adjustment=0, reason="No change", actor=CALIBRATOR)
    assert error.value.field == "adjustment"


def test_a_non_finite_calibration_is_refused() -> None:
    with pytest.raises(InvalidValue) as error:
        scored().calibrate(adjustment=float("nan"), reason="Panel", actor=CALIBRATOR)
    assert error.value.field == "adjustment"


def test_calibration_stays_within_one_point() -> None:
    subject = scored()
    subject.calibrate(adjustment=0.75, reason="Panel", actor=CALIBRATOR)
    with pytest.raises(InvalidValue) as error:
        subject.calibrate(adjustment=0.5, reason="Again", actor=CALIBRATOR)
    assert error.value.field == "adjustment"
    assert subject.calibration == 0.75


def test_the_agent_cannot_calibrate_their_own_review() -> None:
    with pytest.raises(RuleViolation):
        scored().calibrate(adjustment=0.5, reason="Deserved", actor=AGENT)


# --- finalisation --------------------------------------------------------------------


def test_finalising_computes_the_overall_score_and_records_its_inputs() -> None:
    subject = scored(quality=4, teamwork=5)
    subject.calibrate(adjustment=0.2, reason="Panel", actor=CALIBRATOR)
    results: list[dict[str, Any]] = [
        {"goal_id": "g-1", "attainment": 1.25, "weight": 1.0},
        {"goal_id": "g-2", "attainment": None, "weight": 1.0},
    ]
    subject.finalise(goal_results=results, actor=REVIEWER)
    # goals: 1.25 -> 4.0; criteria: 4.5; 0.5 * 4.0 + 0.5 * 4.5 + 0.2
    assert subject.overall_score == 4.45
    assert subject.status == "finalised"
    event = last_event(subject)
    assert type(event).__name__ == "Finalised"
    assert (event.goal_results, event.criteria_scores, event.calibration) == (
        results,
        {"quality": 4, "teamwork": 5},
        0.2,
    )
    assert (event.policy_id, event.policy_version, event.overall_score) == ("agent-2025", 2, 4.45)


def test_finalising_requires_every_criterion_scored() -> None:
    subject = review()
    subject.score(criterion="quality", score=4, rationale="x", actor=REVIEWER)
    with pytest.raises(RuleViolation):
        subject.finalise(goal_results=GOALS_MET, actor=REVIEWER)


@pytest.mark.parametrize(
    "results",
    [
        GOALS_MET[:1],
        [*GOALS_MET, {"goal_id": "g-3", "attainment": 1.0, "weight": 1.0}],
        [GOALS_MET[0], GOALS_MET[0]],
    ],
    ids=["missing", "extra", "duplicate"],
)
def test_finalising_needs_a_result_for_exactly_the_goals_in_scope(
    results: list[dict[str, Any]],
) -> None:
    with pytest.raises(InvalidValue) as error:
        scored().finalise(goal_results=results, actor=REVIEWER)
    assert error.value.field == "goal_results"


def test_finalising_needs_goal_results_as_a_list() -> None:
    with pytest.raises(InvalidValue) as error:
        scored().finalise(goal_results=GOALS_MET[0], actor=REVIEWER)  # type: ignore[arg-type]
    assert error.value.field == "goal_results"


def test_a_goal_result_has_exactly_its_three_fields() -> None:
    results = [GOALS_MET[0], {**GOALS_MET[1], "note": "late data"}]
    with pytest.raises(InvalidValue) as error:
        scored().finalise(goal_results=results, actor=REVIEWER)
    assert error.value.field == "goal_results[1]"


def test_finalising_refuses_a_goal_result_without_a_positive_weight() -> None:
    results = [GOALS_MET[0], {**GOALS_MET[1], "weight": 0}]
    with pytest.raises(InvalidValue) as error:
        scored().finalise(goal_results=results, actor=REVIEWER)
    assert error.value.field == "goal_results[1].weight"


def test_a_goal_result_names_its_goal_and_gives_a_number_or_null() -> None:
    for changed, field in ((("goal_id", ""), "goal_id"), (("attainment", "high"), "attainment")):
        key, value = changed
        results = [{**GOALS_MET[0], key: value}, GOALS_MET[1]]
        with pytest.raises(InvalidValue) as error:
            scored().finalise(goal_results=results, actor=REVIEWER)
        assert error.value.field == f"goal_results[0].{field}"


def test_finalising_refuses_a_negative_attainment() -> None:
    results = [GOALS_MET[0], {**GOALS_MET[1], "attainment": -1.0}]
    with pytest.raises(InvalidValue) as error:
        scored().finalise(goal_results=results, actor=REVIEWER)
    assert error.value.field == "goal_results[1].attainment"


def test_the_agent_cannot_finalise_their_own_review() -> None:
    with pytest.raises(RuleViolation):
        scored().finalise(goal_results=GOALS_MET, actor=AGENT)


def test_finalised_review_refuses_a_new_score_until_reopened() -> None:
    subject = finalised()
    with pytest.raises(RuleViolation):
        subject.score(criterion="quality", score=5, rationale="x", actor=REVIEWER, reason="r")
    subject.reopen(reason="New QA evidence", actor=REVIEWER)
    subject.score(criterion="quality", score=5, rationale="x", actor=REVIEWER, reason="r")
    assert subject.scores["quality"]["score"] == 5


def test_finalised_review_refuses_360_inputs_calibration_and_refinalising() -> None:
    subject = finalised()
    with pytest.raises(RuleViolation):
        subject.add_feedback(source="peer", author_id="agent-9", text="x", rating=3, actor=REVIEWER)
    with pytest.raises(RuleViolation):
        subject.calibrate(adjustment=0.5, reason="Panel", actor=CALIBRATOR)
    with pytest.raises(RuleViolation):
        subject.finalise(goal_results=GOALS_MET, actor=REVIEWER)


# --- acknowledgement and reopening ---------------------------------------------------


def test_the_agent_acknowledges_a_finalised_review() -> None:
    subject = finalised()
    subject.acknowledge(actor=AGENT)
    assert subject.status == "acknowledged"
    assert subject.acknowledged_by == AGENT
    assert subject.acknowledged_at == last_event(subject).timestamp


def test_a_review_in_progress_cannot_be_acknowledged() -> None:
    with pytest.raises(RuleViolation):
        scored().acknowledge(actor=AGENT)


def test_only_the_agent_can_acknowledge() -> None:
    with pytest.raises(RuleViolation):
        finalised().acknowledge(actor=REVIEWER)


def test_a_review_is_acknowledged_once() -> None:
    subject = finalised()
    subject.acknowledge(actor=AGENT)
    with pytest.raises(RuleViolation):
        subject.acknowledge(actor=AGENT)


def test_an_acknowledged_review_still_refuses_changes() -> None:
    subject = finalised()
    subject.acknowledge(actor=AGENT)
    with pytest.raises(RuleViolation):
        subject.score(criterion="quality", score=5, rationale="x", actor=REVIEWER, reason="r")


def test_reopening_requires_a_reason() -> None:
    for reason in ("", "  "):
        with pytest.raises(InvalidValue) as error:
            finalised().reopen(reason=reason, actor=REVIEWER)
        assert error.value.field == "reason"


def test_only_a_finalised_review_can_be_reopened() -> None:
    with pytest.raises(RuleViolation):
        scored().reopen(reason="Why not", actor=REVIEWER)


def test_the_agent_cannot_reopen_their_own_review() -> None:
    with pytest.raises(RuleViolation):
        finalised().reopen(reason="I disagree", actor=AGENT)


def test_reopening_clears_the_acknowledgement_and_keeps_the_earlier_finalisation() -> None:
    subject = finalised()
    subject.acknowledge(actor=AGENT)
    subject.reopen(reason="New QA evidence", actor=REVIEWER)
    assert (subject.status, subject.overall_score, subject.acknowledged_by) == (
        "in_progress",
        None,
        None,
    )
    assert subject.reopenings[0]["reason"] == "New QA evidence"
    subject.score(
        criterion="teamwork", score=2, rationale="x", actor=REVIEWER, reason="Complaint upheld"
    )
    subject.finalise(goal_results=GOALS_MET, actor=REVIEWER)
    # goals met (3) blended half and half with the criteria mean: (4+4)/2, then (4+2)/2
    assert [f["overall_score"] for f in subject.finalisations] == [3.5, 3.0]


# --- disputes -------------------------------------------------------------------------


def test_the_agent_disputes_a_finalised_score_and_it_is_listed_as_open() -> None:
    subject = disputed(criterion="quality")
    [dispute] = subject.open_disputes
    assert (dispute["criterion"], dispute["disputed_score"], dispute["raised_by"]) == (
        "quality",
        4,
        AGENT,
    )


def test_a_review_in_progress_cannot_be_disputed() -> None:
    with pytest.raises(RuleViolation):
        scored().dispute(reason="Too low", actor=AGENT)


def test_only_the_agent_can_dispute() -> None:
    with pytest.raises(RuleViolation):
        finalised().dispute(reason="Too low", actor="agent-9")


def test_a_dispute_needs_a_reason() -> None:
    with pytest.raises(InvalidValue) as error:
        finalised().dispute(reason=" ", actor=AGENT)
    assert error.value.field == "reason"


def test_a_dispute_names_a_criterion_of_the_policy() -> None:
    with pytest.raises(InvalidValue) as error:
        finalised().dispute(reason="Too low", actor=AGENT, criterion="charisma")
    assert error.value.field == "criterion"


def test_a_score_is_disputed_once_at_a_time() -> None:
    subject = disputed()
    with pytest.raises(RuleViolation):
        subject.dispute(reason="Still too low", actor=AGENT)
    subject.dispute(reason="Quality too", actor=AGENT, criterion="quality")
    assert len(subject.open_disputes) == 2


def test_the_reviewer_upholds_a_dispute_with_a_reason() -> None:
    subject = disputed()
    subject.uphold_dispute(index=0, reason="Sample was random", actor=REVIEWER)
    assert subject.open_disputes == []
    assert subject.disputes[0]["status"] == "upheld"
    assert subject.disputes[0]["resolution_reason"] == "Sample was random"
    assert subject.overall_score == 3.5


def test_upholding_a_dispute_requires_a_reason() -> None:
    with pytest.raises(InvalidValue) as error:
        disputed().uphold_dispute(index=0, reason="", actor=REVIEWER)
    assert error.value.field == "reason"


def test_the_agent_cannot_resolve_their_own_dispute() -> None:
    with pytest.raises(RuleViolation):
        disputed().uphold_dispute(index=0, reason="I agree with me", actor=AGENT)


def test_a_resolved_dispute_cannot_be_upheld_again() -> None:
    subject = disputed()
    subject.uphold_dispute(index=0, reason="Sample was random", actor=REVIEWER)
    with pytest.raises(RuleViolation):
        subject.uphold_dispute(index=0, reason="Again", actor=REVIEWER)


@pytest.mark.parametrize("index", [1, -1, True])
def test_an_unknown_dispute_is_refused(index: Any) -> None:
    with pytest.raises(InvalidValue) as error:
        disputed().uphold_dispute(index=index, reason="x", actor=REVIEWER)
    assert error.value.field == "index"


def test_rescoring_a_disputed_score_requires_reopening_and_closes_the_dispute() -> None:
    subject = disputed(criterion="quality")
    with pytest.raises(RuleViolation):
        subject.score(criterion="quality", score=5, rationale="x", actor=REVIEWER, reason="r")
    subject.reopen(reason="Dispute 0", actor=REVIEWER)
    subject.score(
        criterion="quality",
        score=5,
        rationale="Full QA sample",
        actor=REVIEWER,
        reason="Dispute 0 upheld on the full sample",
    )
    subject.finalise(goal_results=GOALS_MET, actor=REVIEWER)
    assert last_event(subject).resolved_disputes == [0]
    assert subject.open_disputes == []
    assert (subject.disputes[0]["status"], subject.disputes[0]["resolved_by"]) == (
        "rescored",
        REVIEWER,
    )


def test_a_dispute_whose_score_did_not_change_stays_open_after_refinalising() -> None:
    subject = disputed(criterion="quality")
    subject.reopen(reason="Dispute 0", actor=REVIEWER)
    subject.score(criterion="teamwork", score=5, rationale="x", actor=REVIEWER, reason="r")
    subject.finalise(goal_results=GOALS_MET, actor=REVIEWER)
    assert [d["criterion"] for d in subject.open_disputes] == ["quality"]


def test_an_overall_dispute_closes_when_the_overall_score_changes() -> None:
    subject = disputed()
    subject.reopen(reason="Dispute 0", actor=REVIEWER)
    subject.calibrate(adjustment=0.5, reason="Dispute 0: panel agreed", actor=CALIBRATOR)
    subject.finalise(goal_results=GOALS_MET, actor=REVIEWER)
    assert subject.overall_score == 4.0
    assert subject.disputes[0]["status"] == "rescored"


# --- the trail and the events -------------------------------------------------------------


def test_score_changes_list_every_change_in_order() -> None:
    subject = scored()
    subject.score(criterion="quality", score=5, rationale="x", actor=REVIEWER, reason="one")
    subject.calibrate(adjustment=-0.25, reason="two", actor=CALIBRATOR)
    subject.finalise(goal_results=GOALS_MET, actor=REVIEWER)
    subject.reopen(reason="three", actor=REVIEWER)
    subject.score(criterion="quality", score=3, rationale="y", actor=CALIBRATOR, reason="four")
    trail = [
        (c["criterion"], c["before"], c["after"], c["actor"], c["reason"])
        for c in subject.score_changes
    ]
    assert trail == [
        ("quality", None, 4, REVIEWER, None),
        ("teamwork", None, 4, REVIEWER, None),
        ("quality", 4, 5, REVIEWER, "one"),
        (None, 0.0, -0.25, CALIBRATOR, "two"),
        ("quality", 5, 3, CALIBRATOR, "four"),
    ]
    times = [c["at"] for c in subject.score_changes]
    assert times == sorted(times)


def test_every_event_carries_its_actor() -> None:
    subject = disputed()
    subject.uphold_dispute(index=0, reason="Fair", actor=REVIEWER)
    subject.acknowledge(actor=AGENT)
    names_and_actors = [(type(e).__name__, vars(e)["actor"]) for e in subject.collect_events()]
    assert names_and_actors == [
        ("Started", REVIEWER),
        ("CriterionScored", REVIEWER),
        ("CriterionScored", REVIEWER),
        ("Finalised", REVIEWER),
        ("Disputed", AGENT),
        ("DisputeUpheld", REVIEWER),
        ("Acknowledged", AGENT),
    ]


PLAIN = (str, int, float, bool, type(None), datetime, date)


def is_plain(value: object) -> bool:
    if isinstance(value, list):
        return all(is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_plain(v) for k, v in value.items())
    return isinstance(value, PLAIN)


def test_events_carry_only_plain_json_types() -> None:
    subject = scored()
    subject.add_feedback(source="self", author_id=AGENT, text="x", rating=4, actor=AGENT)
    subject.calibrate(adjustment=0.25, reason="Panel", actor=CALIBRATOR)
    subject.finalise(goal_results=GOALS_MET, actor=REVIEWER)
    subject.dispute(reason="Too low", actor=AGENT)
    subject.uphold_dispute(index=0, reason="Fair", actor=REVIEWER)
    for event in subject.collect_events():
        data = {k: v for k, v in vars(event).items() if k != "originator_id"}
        assert is_plain(data), type(event).__name__


def in_memory_store() -> PerfLedger:
    """The real application on in-memory persistence, snapshots on: no I/O."""
    return PerfLedger(
        env={"PERSISTENCE_MODULE": "eventsourcing.popo", "IS_SNAPSHOTTING_ENABLED": "y"}
    )


def test_a_stored_review_replays_and_snapshots_to_the_same_state() -> None:
    subject = scored()
    subject.add_feedback(source="self", author_id=AGENT, text="x", rating=4, actor=AGENT)
    subject.calibrate(adjustment=0.25, reason="Panel", actor=CALIBRATOR)
    subject.finalise(goal_results=GOALS_MET, actor=REVIEWER)
    subject.dispute(reason="Too low", actor=AGENT)
    subject.uphold_dispute(index=0, reason="Fair", actor=REVIEWER)
    subject.acknowledge(actor=AGENT)
    store = in_memory_store()
    store.save(subject)
    assert store.repository.get(subject.id) == subject
    store.take_snapshot(subject.id)
    assert store.repository.get(subject.id) == subject
