"""Pure read-model functions: goal documents and the history hash chain."""

from __future__ import annotations

from typing import Any

import pytest

from aggregates.contract import GENESIS, EventEnvelope, decode, encode
from projections.goals import apply_goal
from projections.history_rows import history_entry

GOAL_ID = "5b0c2a0e-8f1c-4c62-9c7e-3f8f9b1a2d44"


def event(version: int, type_: str, **data: Any) -> EventEnvelope:
    return EventEnvelope(
        id=GOAL_ID,
        version=version,
        type=type_,
        topic=f"aggregates.goal:{type_}",
        at=f"2026-10-0{version}T10:00:00+00:00",
        actor="manager:bob",
        data={"actor": "manager:bob", **data},
        notification_id=version,
    )


SET = event(
    1,
    "Goal.Set",
    agent_id="a1",
    team_id="t1",
    title="AHT",
    description="",
    kpi="aht_seconds",
    target=300.0,
    direction="at_most",
    period_start="2026-10-01",
    period_end="2026-12-31",
    weight=1.0,
)


def test_a_set_goal_becomes_an_active_document() -> None:
    doc = apply_goal(None, SET)
    assert doc["status"] == "active" and doc["version"] == 1 and doc["set_by"] == "manager:bob"


def test_a_revision_changes_the_target_and_keeps_the_trail() -> None:
    doc = apply_goal(
        apply_goal(None, SET), event(2, "Goal.TargetRevised", before=300.0, after=280.0, reason="r")
    )
    assert doc["target"] == 280.0 and doc["version"] == 2
    assert doc["revisions"][0]["before"] == 300.0 and doc["revisions"][0]["actor"] == "manager:bob"


def test_an_event_before_the_goal_was_set_is_refused() -> None:
    with pytest.raises(ValueError):
        apply_goal(None, event(2, "Goal.Cancelled", reason="r"))


def test_history_entries_chain_by_hash() -> None:
    first = history_entry(SET, GENESIS)
    second = history_entry(event(2, "Goal.Cancelled", reason="r"), first["hash"])
    assert second["prev_hash"] == first["hash"] and first["prev_hash"] == GENESIS
    altered = history_entry(event(2, "Goal.Cancelled", reason="R"), first["hash"])
    assert altered["hash"] != second["hash"]


def test_the_envelope_survives_the_wire() -> None:
    assert decode(encode(SET)) == SET
