"""Event schema evolution (upcasting) and snapshots that load like a full replay."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import reduce
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Snapshot
from eventsourcing.persistence import StoredEvent

from aggregates.goal import Goal
from aggregates.review import Review
from engine.application import PerfLedger
from engine.commands import ScoreCriterion, StartReview
from tests.unit.test_application import MANAGER, set_goal

V1_SET = {
    "timestamp": datetime(2026, 1, 5, 9, tzinfo=UTC),
    "agent_id": "a1",
    "team_id": "t",
    "title": "AHT",
    "description": "",
    "kpi": "aht_seconds",
    "target": 300.0,
    "direction": "at_most",
    "period_start": date(2026, 1, 1),
    "period_end": date(2026, 3, 31),
    "weight": 1.0,
    "actor": "manager:bob",
    "originator_topic": "aggregates.goal:Goal",
}


def memory_app() -> PerfLedger:
    return PerfLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def replay_events(app: PerfLedger, aggregate_id: UUID) -> Any:
    """The aggregate folded from all its events, no snapshot involved."""
    events: list[Any] = list(app.events.get(aggregate_id))
    return reduce(lambda aggregate, event: event.mutate(aggregate), events, None)


def state(aggregate: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


def test_a_version_1_goal_set_event_reads_as_version_2() -> None:
    app = memory_app()
    goal_id = uuid4()
    # The shape issue 2 stored: no template_id, no class_version.
    app.recorder.insert_events(
        [
            StoredEvent(
                originator_id=goal_id,
                originator_version=1,
                topic="aggregates.goal:Goal.Set",
                state=app.mapper.transcoder.encode(V1_SET),
            )
        ]
    )
    (event,) = app.events.get(goal_id)
    assert type(event) is Goal.Set and event.template_id is None and event.draft is False
    goal: Any = app.repository.get(goal_id)
    assert goal.status == "active"
    assert goal.template_id is None and goal.title == "AHT" and goal.latest_progress is None
    goal.record_progress(
        value=290.0, as_of=datetime(2026, 2, 1, tzinfo=UTC), source="manual", note="", actor=MANAGER
    )
    app.save(goal)
    assert app.repository.get(goal_id).latest_value == 290.0


def test_new_goal_set_events_are_stored_as_version_3() -> None:
    app = memory_app()
    goal = set_goal(app)
    (stored,) = app.recorder.select_events(goal.id)
    assert app.mapper.transcoder.decode(stored.state)["class_version"] == 3


def test_a_version_1_goal_snapshot_loads_with_the_new_fields() -> None:
    goal = set_goal(memory_app())
    old_state = {
        k: v
        for k, v in state(goal).items()
        if k not in ("template_id", "latest_progress", "progress_count", "closed")
    }
    snapshot = Snapshot(
        originator_id=goal.id,
        originator_version=1,
        timestamp=goal.created_on,
        topic="aggregates.goal:Goal",
        state=old_state,
    )
    loaded: Any = snapshot.mutate(None)
    assert loaded.progress_count == 0 and loaded.closed is None and loaded.template_id is None


def test_a_goal_loaded_from_a_snapshot_equals_a_full_replay() -> None:
    app = memory_app()
    goal = set_goal(app)
    start = datetime(2026, 7, 1, tzinfo=UTC)
    for n in range(230):  # snapshots at versions 100 and 200
        app.record_progress(
            goal.id, 250.0 + n, start + timedelta(hours=n), "kpi", "system:progress"
        )
    assert app.snapshots is not None and [
        s.originator_version for s in app.snapshots.get(goal.id)
    ] == [100, 200]
    replayed = replay_events(app, goal.id)
    assert state(app.repository.get(goal.id)) == state(replayed)
    assert replayed.version == 231 and replayed.progress_count == 230


def test_a_review_loaded_from_a_snapshot_equals_a_full_replay() -> None:
    app = memory_app()
    review = app.start_review(
        StartReview(
            agent_id="a1",
            team_id="t",
            period_start=date(2026, 7, 1),
            period_end=date(2026, 9, 30),
            criteria=["quality"],
        ),
        MANAGER,
    )
    for n in range(60):
        app.score_review(
            review.id,
            ScoreCriterion(
                criterion="quality", score=1 + n % 5, rationale=f"take {n}", reason=f"evidence {n}"
            ),
            MANAGER,
        )
    assert app.snapshots is not None and [
        s.originator_version for s in app.snapshots.get(review.id)
    ] == [50]
    replayed = replay_events(app, review.id)
    loaded: Any = app.repository.get(review.id)
    assert isinstance(loaded, Review) and state(loaded) == state(replayed)
    assert len(loaded.score_changes) == 60


def test_a_version_2_goal_snapshot_loads_without_corrections() -> None:
    goal = set_goal(memory_app())
    old_state = {k: v for k, v in state(goal).items() if k != "corrections"}
    snapshot = Snapshot(
        originator_id=goal.id,
        originator_version=1,
        timestamp=goal.created_on,
        topic="aggregates.goal:Goal",
        state={**old_state, "class_version": 2},
    )
    loaded: Any = snapshot.mutate(None)
    assert loaded.corrections == []


def test_a_version_1_review_snapshot_loads_as_not_cancelled() -> None:
    app = memory_app()
    review = app.start_review(
        StartReview(
            agent_id="a1",
            team_id="t",
            period_start=date(2026, 7, 1),
            period_end=date(2026, 9, 30),
            criteria=["quality"],
        ),
        MANAGER,
    )
    old_state = {k: v for k, v in state(review).items() if k != "cancellation"}
    snapshot = Snapshot(
        originator_id=review.id,
        originator_version=1,
        timestamp=review.created_on,
        topic="aggregates.review:Review",
        state=old_state,
    )
    loaded: Any = snapshot.mutate(None)
    assert loaded.cancellation is None and loaded.status == "in_progress"
