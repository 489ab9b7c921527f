"""Corrections and voids: the contract, what an event counts as, and the delivery tally."""

from __future__ import annotations

import itertools
import json
import time
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from adapters.telephony.dead_letters import ACCEPTED_HEADER
from adapters.telephony.ingestor import ACCEPTED_COLUMN, RECEIVED, Tally
from adapters.telephony.schema import InvalidTelephonyEvent, parse_message, to_archive_dict
from projections.kpi import Voided, delta, effective, fold, identity_problem

SURVEY = {
    "event_id": "0b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d03",
    "type": "survey.completed",
    "agent_id": "agent-017",
    "team_id": "team-north",
    "occurred_at": "2026-10-07T13:00:00+02:00",
    "call_id": "c-88121",
    "csat": 2,
}


def fix(n: int, at: str, **changes: Any) -> dict[str, Any]:
    body = {k: v for k, v in SURVEY.items() if k != "event_id"} | changes
    return {
        "event_id": f"0b7e2c1a-4f4e-4c39-9d0e-{n:012d}",
        "type": "event.corrected",
        "agent_id": "agent-017",
        "team_id": "team-north",
        "occurred_at": at,
        "corrects": SURVEY["event_id"],
        "reason": "typo",
        "event": body,
    }


def void(n: int) -> dict[str, Any]:
    return {
        "event_id": f"0b7e2c1a-4f4e-4c39-9d0e-{n:012d}",
        "type": "event.voided",
        "agent_id": "agent-017",
        "team_id": "team-north",
        "occurred_at": "2026-10-09T00:00:00Z",
        "voids": SURVEY["event_id"],
        "reason": "test call",
    }


def parsed(event: dict[str, Any]) -> dict[str, Any]:
    return to_archive_dict(parse_message(json.dumps(event).encode()))


def test_a_correction_carries_the_full_body_under_the_original_id_normalised_like_any_event() -> (
    None
):
    event = parsed(fix(1, "2026-10-08T10:00:00Z", csat=5))
    assert event["event"]["event_id"] == SURVEY["event_id"]
    assert (
        event["event"]["occurred_at"] == "2026-10-07T11:00:00+00:00" and event["event"]["csat"] == 5
    )
    assert parsed(void(2))["voids"] == SURVEY["event_id"]


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (fix(1, "2026-10-08T10:00:00Z", csat=6), "event.csat: must be between 1 and 5"),
        (
            fix(1, "2026-10-08T10:00:00Z", type="event.voided"),
            "event: type: must be one of "
            "call.completed, survey.completed, qa.evaluated, agent.interval",
        ),
        (
            {**fix(1, "2026-10-08T10:00:00Z"), "corrects": "nope"},
            "corrects: must be a UUID (8-4-4-4-12 hex digits)",
        ),
        (
            {k: v for k, v in fix(1, "2026-10-08T10:00:00Z").items() if k != "event"},
            "event: required",
        ),
        ({**void(2), "reason": ""}, "reason: must be 1 to 500 characters"),
        ({**void(2), "reason": "x" * 501}, "reason: must be 1 to 500 characters"),
        ({k: v for k, v in void(2).items() if k != "voids"}, "voids: required"),
    ],
)
def test_a_refused_correction_names_its_field(event: dict[str, Any], reason: str) -> None:
    with pytest.raises(InvalidTelephonyEvent) as caught:
        parse_message(json.dumps(event).encode())
    assert caught.value.reason == reason


def test_what_an_event_counts_as_does_not_depend_on_the_order_of_its_corrections() -> None:
    original = parsed(SURVEY)
    fixes = [
        parsed(fix(1, "2026-10-08T10:00:00Z", csat=3)),
        parsed(fix(2, "2026-10-09T10:00:00Z", csat=5)),
        parsed(fix(3, "2026-10-10T10:00:00Z", csat=1, agent_id="agent-999")),
    ]  # not applicable
    for order in itertools.permutations(fixes):
        assert effective(original, order)["csat"] == 5
    for order in itertools.permutations([*fixes, parsed(void(4))]):
        counted = effective(original, order)
        assert type(counted) is Voided and delta(counted) == {}
    assert effective(original, []) is original
    assert identity_problem(original, fixes[2]["event"]) == (
        "event.agent_id: a correction keeps the original's agent_id ('agent-017')"
    )
    later = parsed(fix(5, "2026-10-09T10:00:00Z", csat=4, occurred_at="2026-10-07T12:00:00Z"))
    assert identity_problem(original, later["event"]) is not None


def test_the_delivery_tally_counts_by_broker_day_and_door() -> None:
    now_ms = int(time.time() * 1000)
    today = datetime.now(UTC).date().isoformat()
    yesterday = datetime.fromtimestamp(now_ms / 1000 - 86400, UTC).date().isoformat()
    tally = Tally()
    tally.add(
        [
            SimpleNamespace(topic="t", timestamp=now_ms - 86_400_000, headers=[]),
            SimpleNamespace(topic="t", timestamp=1, headers=[]),  # implausible: today
            SimpleNamespace(topic="t", timestamp=None, headers=[(ACCEPTED_HEADER, b"http")]),
        ],
        RECEIVED,
    )
    tally.add([SimpleNamespace(topic="t", timestamp=now_ms, headers=[])], ACCEPTED_COLUMN)
    assert tally.counts == {
        (yesterday, "kafka:t"): [1, 0, 0, 0],
        (today, "kafka:t"): [1, 1, 0, 0],
        (today, "http"): [1, 0, 0, 0],
    }


def test_a_stream_folds_as_its_corrected_events_would_others_corrections_do_not_apply() -> None:
    original, better = parsed(SURVEY), parsed(fix(1, "2026-10-08T10:00:00Z", csat=5))
    assert fold([better, original]) == fold([original, better]) == fold([{**better["event"]}])
    assert fold([original, parsed(void(2))]) == {}
    stranger = parsed({**fix(3, "2026-10-09T10:00:00Z", csat=1), "agent_id": "agent-999"})
    assert fold([original, stranger]) == fold([original])
