"""docs/telephony.md matches the code: its examples pass the door, its limits are the settings'."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapters.http.openapi_examples import TELEPHONY_EVENTS
from adapters.telephony.schema import DEFAULT_LIMITS, MAX_MESSAGE_BYTES, Bounds, validate
from engine.settings import Settings
from projections.kpi import fold, kpis

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "telephony.md"


def examples() -> list[Any]:
    return [
        json.loads(block)
        for block in re.findall(r"```json\n(.*?)```", GUIDE.read_text(), re.DOTALL)
    ]


def test_every_event_example_of_the_guide_is_valid_and_every_type_has_one() -> None:
    bounds = Bounds(DEFAULT_LIMITS, datetime.now(UTC))
    events = [e for e in examples() if isinstance(e, dict) and "type" in e]
    assert {e["type"] for e in events} == set(TELEPHONY_EVENTS)
    for event in events:
        validate(json.dumps(event).encode(), bounds)
        assert event == TELEPHONY_EVENTS[event["type"]] or event["type"] == "event.corrected"


def test_the_guide_states_the_configured_limits_and_names_real_settings() -> None:
    text = GUIDE.read_text()
    assert (
        f"{MAX_MESSAGE_BYTES:,}" in text
        and f"{int(DEFAULT_LIMITS.max_call_part_seconds):,}" in text
    )
    assert f"{int(DEFAULT_LIMITS.max_interval_seconds):,}" in text
    assert f"({int(DEFAULT_LIMITS.max_future_seconds)} s)" in text
    for name in set(re.findall(r"PERFLEDGER_TELEPHONY_[A-Z_]+[A-Z]", text)):
        assert name.removeprefix("PERFLEDGER_").lower() in Settings.model_fields, name


def test_the_worked_examples_compute_the_figures_the_guide_gives() -> None:
    call, survey, qa, interval = (
        json.loads(json.dumps(TELEPHONY_EVENTS[k]))
        for k in ("call.completed", "survey.completed", "qa.evaluated", "agent.interval")
    )
    for event in (call, survey, qa, interval):
        event["occurred_at"] = (
            datetime.fromisoformat(event["occurred_at"]).astimezone(UTC).isoformat()
        )
    sums = fold([call, survey, qa, interval])
    row = kpis(sums[("agent", "agent-017", "interval", datetime(2026, 10, 5, 7, tzinfo=UTC))])
    assert (
        row["calls_handled"] == 1
        and row["aht_seconds"] == 288.9
        and row["avg_hold_seconds"] == 31.0
    )
    assert row["fcr_rate"] == 1.0 and row["transfer_rate"] == 0.0
    assert row["csat_avg"] == 4.0 and row["csat_top2_rate"] == 1.0 and row["qa_avg"] == 86.0
    assert row["adherence_rate"] == 0.9 and round(row["occupancy_rate"] or 0, 3) == 0.769
    corrected = {
        **call,
        **TELEPHONY_EVENTS["event.corrected"]["event"],
        "occurred_at": call["occurred_at"],
    }
    assert (
        kpis(fold([corrected])[("agent", "agent-017", "day", datetime(2026, 10, 5, tzinfo=UTC))])[
            "aht_seconds"
        ]
        == 274.5
    )
