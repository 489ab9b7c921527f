"""Sealed snapshots: an edited snapshot changes nothing anyone sees, and verify names it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest

from adapters.sql.sealer import Sealer
from adapters.sql.verify import verify
from aggregates.review import Review
from engine.bootstrap import Container, build
from engine.commands import ScoreCriterion, StartReview
from engine.integrity import seal_key
from engine.replay import replay
from tests.support import SECRET, make_settings

KEY = seal_key(SECRET)
MANAGER = "manager:mia"


@pytest.fixture
def finalised(tmp_path: Path, database_url: str) -> Iterator[tuple[Container, UUID]]:
    """A review finalised at version 50, so its finalised score lives in a snapshot."""
    container = build(make_settings(tmp_path, database_url, None))
    app = container.app
    review = app.start_review(
        StartReview(
            agent_id="a1",
            team_id="t1",
            period_start=date(2026, 7, 1),
            period_end=date(2026, 9, 30),
            criteria=["quality"],
        ),
        MANAGER,
    )
    for n in range(48):
        app.score_review(
            review.id,
            ScoreCriterion(
                criterion="quality", score=1 + n % 5, rationale=f"take {n}", reason=f"evidence {n}"
            ),
            MANAGER,
        )
    app.finalise_review(review.id, MANAGER)
    assert app.repository.get(review.id).version == 50
    try:
        yield container, review.id
    finally:
        container.close()


def snapshot_table(container: Container) -> str:
    assert container.app.snapshots is not None
    return str(container.app.snapshots.recorder.events_table_name)  # type: ignore[attr-defined]


def edit_snapshot_score(container: Container, review_id: UUID) -> None:
    """Raw SQL on the snapshot row, as someone with database access would do it."""
    table = snapshot_table(container)
    key = str(review_id) if container.db.is_postgres else review_id.hex
    (row,) = container.db.query(
        f"SELECT state FROM {table} WHERE originator_id = ? AND originator_version = 50", (key,)
    )
    state = bytes(row["state"])
    edited, count = re.subn(rb'("overall_score": ?)3\.0', rb"\g<1>5.0", state)
    assert count >= 1, state[:400]
    with container.db.transaction() as cur:
        cur.execute(
            f"UPDATE {table} SET state = ? WHERE originator_id = ? AND originator_version = 50",
            (edited, key),
        )


def test_a_snapshot_is_sealed_when_taken_and_verifies(finalised: tuple[Container, UUID]) -> None:
    container, _ = finalised
    report = verify(container.db, container.app, KEY)
    assert report.ok, report.problems
    assert (report.snapshots_checked, report.snapshots_unsealed) == (1, 0)


def test_an_edited_snapshot_is_ignored_on_load_and_named_by_verify(
    finalised: tuple[Container, UUID],
) -> None:
    container, review_id = finalised
    edit_snapshot_score(container, review_id)
    loaded: Review = container.app.repository.get(review_id)
    assert isinstance(loaded, Review) and loaded.overall_score == 3.0 and loaded.version == 50
    assert replay(container.app, review_id)["scores"]["overall_score"] == 3.0
    report = verify(container.db, container.app, KEY)
    assert not report.ok
    assert (report.problems[0]["store"], report.problems[0]["kind"]) == ("snapshots", "bytes")
    assert str(review_id) in report.problems[0]["where"]


def test_a_snapshot_whose_seal_was_removed_is_not_trusted(
    finalised: tuple[Container, UUID],
) -> None:
    container, review_id = finalised
    edit_snapshot_score(container, review_id)
    with container.db.transaction() as cur:
        cur.execute("DELETE FROM snapshot_seals")
    loaded: Review = container.app.repository.get(review_id)
    assert isinstance(loaded, Review) and loaded.overall_score == 3.0
    assert verify(container.db, container.app, KEY).snapshots_unsealed == 1


def test_a_snapshot_from_before_sealing_is_sealed_once_a_replay_agrees(
    finalised: tuple[Container, UUID],
) -> None:
    container, _ = finalised
    with container.db.transaction() as cur:
        cur.execute("DELETE FROM snapshot_seals")  # as if taken before snapshots were sealed
    sealer = Sealer(container.app, container.db, KEY, settle=0)
    assert sealer.seal_legacy_snapshots() == 1
    assert sealer.seal_legacy_snapshots() == 0
    report = verify(container.db, container.app, KEY)
    assert report.ok and report.snapshots_unsealed == 0


def test_an_edited_snapshot_without_a_seal_is_never_sealed(
    finalised: tuple[Container, UUID],
) -> None:
    container, review_id = finalised
    edit_snapshot_score(container, review_id)
    with container.db.transaction() as cur:
        cur.execute("DELETE FROM snapshot_seals")
    assert Sealer(container.app, container.db, KEY, settle=0).seal_legacy_snapshots() == 0
    assert verify(container.db, container.app, KEY).snapshots_unsealed == 1
    loaded: Review = container.app.repository.get(review_id)
    assert loaded.overall_score == 3.0
