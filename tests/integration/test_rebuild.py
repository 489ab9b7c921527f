"""Rebuild: fresh tables from the event store and the archive, compared with live or swapped in."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from adapters.sql.rebuilder import rebuild
from adapters.telephony.ingestor import decode_archived
from engine import jobs
from engine.bootstrap import Container, build
from engine.commands import Calibrate, ScoreCriterion, SetGoal, StartReview
from engine.simulate import simulate
from tests.integration.live import LiveModels
from tests.support import make_settings

MANAGER = "manager:bob"


@pytest.fixture
def live(tmp_path: Path, database_url: str) -> Iterator[LiveModels]:
    container = build(make_settings(tmp_path, database_url, None))
    try:
        yield LiveModels(container)
    finally:
        container.close()


def goals_and_a_review(container: Container, agent: str) -> None:
    app = container.app
    goal = app.set_goal(
        SetGoal(
            agent_id=agent,
            team_id="team-0",
            title="AHT",
            kpi="aht_seconds",
            target=300,
            direction="at_most",
            period_start=date(2026, 10, 1),
            period_end=date(2026, 12, 31),
            weight=1,
        ),
        MANAGER,
    )
    for n in range(5):
        app.record_progress(
            goal.id,
            290.0 + n,
            datetime(2026, 10, 6, tzinfo=UTC) + timedelta(hours=n),
            "manual",
            MANAGER,
        )
    review = app.start_review(
        StartReview(
            agent_id=agent,
            team_id="team-0",
            goal_ids=[str(goal.id)],
            criteria=["quality"],
            period_start=date(2026, 10, 1),
            period_end=date(2026, 12, 31),
        ),
        MANAGER,
    )
    for n in range(4):
        app.score_review(
            review.id,
            ScoreCriterion(
                criterion="quality",
                score=1 + n,
                rationale="calls",
                reason=None if n == 0 else f"change {n}",
            ),
            MANAGER,
        )
    app.calibrate_review(review.id, Calibrate(adjustment=0.25, reason="panel"), MANAGER)


def check(live: LiveModels) -> list[str]:
    container = live.container
    return rebuild(
        container.db, container.app, decode_archived, lambda *_: None, check=True
    ).differences


def test_a_rebuild_equals_live_and_a_damaged_live_model_is_reported_then_repaired(
    live: LiveModels,
) -> None:
    goals_and_a_review(live.container, "agent-1")
    live.project()
    live.ingest(simulate(agents=4, teams=1, rate=50, duration=40, seed=3))
    assert check(live) == []
    db = live.container.db
    with db.transaction() as cur:
        cur.execute(
            "UPDATE kpi_sums SET calls = calls + 1 WHERE bucket = 'day' AND scope = 'agent'"
        )
        cur.execute("DELETE FROM history WHERE version = 2")
    found = check(live)
    assert any(line.startswith("kpi_sums:") for line in found)
    assert any(line.startswith("history: 1 row(s) only rebuilt") for line in found) or any(
        line.startswith("history:") for line in found
    )
    outcome = rebuild(db, live.container.app, decode_archived, lambda *_: None)
    assert outcome.archived == 2000 and outcome.differences == []
    assert check(live) == []
    assert (
        len(db.query("SELECT * FROM history WHERE version = 2")) == 3
    )  # goal, review, the agent's review register


def test_the_rebuild_command_reports_no_difference_after_a_long_run_with_score_changes(
    live: LiveModels,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Done-when: a long simulated run with score changes, then `perfledger rebuild --check`."""
    stream = simulate(agents=20, teams=3, rate=100, duration=300, seed=11, bad_fraction=0.02)
    for agent in range(6):
        goals_and_a_review(live.container, f"agent-{agent}")
        live.project()
        live.ingest(next_chunk(stream, 5000))
    live.project()
    args = argparse.Namespace(projection="all", check=True)
    assert jobs.rebuild(live.container.settings, args) == 0
    captured = capsys.readouterr()
    assert "equal the live ones" in captured.out
    assert "kpi: recounted from the telephony archive" in captured.err


def next_chunk(stream: Iterator[tuple[bytes, bytes]], size: int) -> list[tuple[bytes, bytes]]:
    return [message for _, message in zip(range(size), stream, strict=False)]
