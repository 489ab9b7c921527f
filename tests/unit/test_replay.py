"""Point-in-time replay: the aggregate at every version and moment equals what it was then."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from aggregates.errors import InvalidValue, NotFound
from engine.application import PerfLedger
from engine.commands import Calibrate, ScoreCriterion, SetGoal, StartReview
from engine.replay import replay, state_of

MANAGER = "manager:bob"
Q4: dict[str, Any] = {"period_start": date(2026, 10, 1), "period_end": date(2026, 12, 31)}


@pytest.fixture
def app() -> PerfLedger:
    return PerfLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def set_goal(app: PerfLedger) -> Any:
    return app.set_goal(
        SetGoal(
            agent_id="a1",
            team_id="t",
            title="CSAT",
            kpi="csat_avg",
            target=4.5,
            direction="at_least",
            weight=2,
            **Q4,
        ),
        MANAGER,
    )


def remember(
    seen: dict[int, tuple[dict[str, Any], datetime]], app: PerfLedger, aggregate: Any
) -> None:
    """What the aggregate was right after a command, and the time of its last event."""
    last: Any = list(app.events.get(aggregate.id))[-1]  # an aggregate event: it has a timestamp
    stamp = last.timestamp
    seen[aggregate.version] = (copy.deepcopy(state_of(aggregate)), stamp)


def test_a_goal_replays_exactly_at_every_one_of_many_progress_versions(app: PerfLedger) -> None:
    goal = set_goal(app)
    seen: dict[int, tuple[dict[str, Any], datetime]] = {}
    values: dict[int, float] = {}
    remember(seen, app, goal)
    start = datetime(2026, 10, 1, 9, tzinfo=UTC)
    for n in range(130):  # past the snapshot interval (100), so snapshots are exercised
        value = round(3.0 + (n % 17) / 10, 2)
        goal = app.record_progress(
            goal.id, value, start + timedelta(hours=n), "kpi:csat_avg", "system:x"
        )
        values[goal.version] = value
        remember(seen, app, goal)
    for version, (state, stamp) in seen.items():
        by_version = replay(app, goal.id, version=version)
        assert by_version["state"] == state
        assert len(by_version["events"]) == version
        assert by_version["scores"]["latest_value"] == values.get(version)
        expected = max(v for v, (_, t) in seen.items() if t <= stamp)
        assert replay(app, goal.id, as_of=stamp)["version"] == expected
        assert replay(app, goal.id, as_of=stamp)["state"] == seen[expected][0]


def test_a_review_replays_exactly_at_every_one_of_many_score_changes(app: PerfLedger) -> None:
    goal = set_goal(app)
    goal = app.record_progress(goal.id, 4.5, datetime(2026, 10, 2, tzinfo=UTC), "manual", MANAGER)
    review = app.start_review(
        StartReview(
            agent_id="a1",
            team_id="t",
            goal_ids=[str(goal.id)],
            criteria=["quality", "teamwork"],
            goal_weight=0.5,
            **Q4,
        ),
        MANAGER,
    )
    seen: dict[int, tuple[dict[str, Any], datetime]] = {}
    remember(seen, app, review)
    criteria: dict[int, dict[str, int]] = {1: {}}
    for n in range(60):  # past the review snapshot interval (50)
        if n % 5 == 4:
            step = 0.1 if (n // 5) % 2 == 0 else -0.1
            review = app.calibrate_review(
                review.id, Calibrate(adjustment=step, reason=f"panel {n}"), MANAGER
            )
        else:
            name = ("quality", "teamwork")[n % 2]
            review = app.score_review(
                review.id,
                ScoreCriterion(
                    criterion=name,
                    score=1 + n % 5,
                    rationale="seen on calls",
                    reason=None if n < 2 else f"re-scored {n}",
                ),
                MANAGER,
            )
        criteria[review.version] = {k: v["score"] for k, v in review.scores.items()}
        remember(seen, app, review)
    for version, (state, stamp) in seen.items():
        result = replay(app, review.id, version=version)
        assert result["state"] == state
        assert result["scores"]["criteria"] == criteria[version]
        assert len(result["state"]["score_changes"]) == version - 1
        assert result["scores"]["goals"][0]["attainment"] == 1.0
        expected = max(v for v, (_, t) in seen.items() if t <= stamp)
        assert replay(app, review.id, as_of=stamp)["state"] == seen[expected][0]
    assert replay(app, review.id)["scores"]["provisional_overall"] is not None


def test_a_review_sees_its_goals_as_they_were_at_that_moment(app: PerfLedger) -> None:
    goal = set_goal(app)
    review = app.start_review(
        StartReview(
            agent_id="a1", team_id="t", goal_ids=[str(goal.id)], criteria=["quality"], **Q4
        ),
        MANAGER,
    )
    started_event: Any = list(app.events.get(review.id))[-1]
    started = started_event.timestamp
    app.record_progress(goal.id, 2.25, datetime(2026, 10, 2, tzinfo=UTC), "manual", MANAGER)
    assert replay(app, review.id, as_of=started)["scores"]["goals"][0]["attainment"] is None
    assert replay(app, review.id)["scores"]["goals"][0]["attainment"] == 0.5


def test_the_event_trail_carries_the_history_hash_chain(app: PerfLedger) -> None:
    goal = set_goal(app)
    app.record_progress(goal.id, 4.0, datetime(2026, 10, 2, tzinfo=UTC), "manual", MANAGER)
    trail = replay(app, goal.id)["events"]
    assert trail[0]["prev_hash"] == "0" * 64
    assert trail[1]["prev_hash"] == trail[0]["hash"]
    assert [e["sequence"] for e in trail] == [1, 2]


def test_replay_refuses_times_before_the_aggregate_and_versions_beyond_it(app: PerfLedger) -> None:
    goal = set_goal(app)
    with pytest.raises(NotFound):
        replay(app, goal.id, as_of=datetime(2000, 1, 1, tzinfo=UTC))
    with pytest.raises(InvalidValue):
        replay(app, goal.id, version=2)
