"""The auditor's CLI: replay, verify and audit export, as a user runs them."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.sql.sealer import Sealer
from engine.bootstrap import build
from engine.cli import main
from engine.commands import ScoreCriterion, SetGoal, StartReview
from engine.integrity import seal_key
from tests.integration.live import LiveModels
from tests.support import SECRET

MANAGER = "manager:bob"


@pytest.fixture
def ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("PERFLEDGER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PERFLEDGER_SECRET", SECRET)
    monkeypatch.delenv("PERFLEDGER_DATABASE_URL", raising=False)
    from engine.settings import Settings

    container = build(Settings())
    app = container.app
    goal = app.set_goal(
        SetGoal(
            agent_id="a1",
            team_id="t1",
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
    app.record_progress(goal.id, 310.0, datetime(2026, 10, 3, tzinfo=UTC), "manual", MANAGER)
    review = app.start_review(
        StartReview(
            agent_id="a1",
            team_id="t1",
            goal_ids=[str(goal.id)],
            criteria=["q"],
            period_start=date(2026, 10, 1),
            period_end=date(2026, 12, 31),
        ),
        MANAGER,
    )
    for score, reason in ((3, None), (4, "new evidence")):
        app.score_review(
            review.id,
            ScoreCriterion(criterion="q", score=score, rationale="calls", reason=reason),
            MANAGER,
        )
    LiveModels(container).project()
    Sealer(app, container.db, seal_key(SECRET), settle=0).seal_all()
    container.close()
    return {
        "goal": str(goal.id),
        "review": str(review.id),
        "db": tmp_path / "data" / "perfledger.db",
    }


def test_replay_prints_the_goal_at_a_version_with_its_scores(
    ids: dict[str, Any], capsys: Any
) -> None:
    assert main(["replay", ids["goal"], "--version", "1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (
        result["version"] == 1
        and result["scores"]["latest_value"] is None
        and len(result["events"]) == 1
    )
    assert main(["replay", ids["goal"]]) == 0
    assert "Goal.ProgressOverridden" in capsys.readouterr().out


def test_verify_passes_then_names_the_altered_event(ids: dict[str, Any], capsys: Any) -> None:
    import sqlite3

    assert main(["verify"]) == 0
    assert "ok: nothing differs" in capsys.readouterr().out
    with sqlite3.connect(ids["db"]) as conn:
        conn.execute(
            "UPDATE stored_events "
            "SET state = CAST(replace(CAST(state AS TEXT), '310', '290') AS BLOB) "
            "WHERE originator_version = 2 AND originator_id = ?",
            (ids["goal"].replace("-", ""),),
        )
    assert main(["verify"]) == 1
    out = capsys.readouterr().out
    assert f"TAMPERED: first difference at event {ids['goal']} v2" in out and "(bytes)" in out


def test_export_lists_every_event_with_hash_and_the_score_changes(
    ids: dict[str, Any], capsys: Any
) -> None:
    assert main(["audit", "export", "--aggregate", ids["review"], "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["type"] for r in rows] == [
        "Review.Started",
        "Review.CriterionScored",
        "Review.CriterionScored",
    ]
    assert (rows[2]["before"], rows[2]["after"], rows[2]["reason"]) == ("3", "4", "new evidence")
    assert rows[1]["prev_hash"] == rows[0]["hash"] and rows[0]["actor"] == MANAGER
    assert (
        main(["audit", "export", "--agent", "a1", "--from", "2000-01-01", "--to", "2100-01-01"])
        == 0
    )
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 5 and {line["aggregate_type"] for line in lines} == {"Goal", "Review"}
    assert (
        main(["audit", "export", "--agent", "a1", "--from", "2000-01-01", "--to", "2000-01-02"])
        == 0
    )
    assert capsys.readouterr().out == ""
