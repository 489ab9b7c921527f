"""parse_message's fast path (one-pass JSON validation) decides exactly like the slow path."""

from __future__ import annotations

import json

import pytest

from adapters.telephony.schema import InvalidTelephonyEvent, parse_message, parse_object
from engine.simulate import simulate


def slow(raw: bytes) -> object:
    try:
        return parse_object(json.loads(raw))
    except (InvalidTelephonyEvent, ValueError, UnicodeDecodeError):
        return "invalid"


def fast(raw: bytes) -> object:
    try:
        return parse_message(raw)
    except InvalidTelephonyEvent:
        return "invalid"


def test_both_paths_agree_on_a_stream_with_every_kind_of_bad_message() -> None:
    messages = [
        v for _, v in simulate(agents=20, teams=2, rate=3000, duration=1, bad_fraction=0.3, seed=3)
    ]
    verdicts = [(fast(m), slow(m)) for m in messages if len(m) <= 65536]
    assert all(a == b for a, b in verdicts)
    assert any(a == "invalid" for a, _ in verdicts) and any(a != "invalid" for a, _ in verdicts)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"event_id": "0b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d05", "type": "agent.interval",'
        b' "agent_id": "a", "team_id": "t", "occurred_at": "2026-10-05T07:00:00Z",'
        b' "interval_seconds": 900, "scheduled_seconds": 900, "adherent_seconds": 810,'
        b' "available_seconds": 780, "handling_seconds": NaN}',
        b'{"event_id": "0b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d05", "type": "survey.completed",'
        b' "agent_id": "a", "team_id": "t", "occurred_at": "2026-10-05T07:00:00Z",'
        b' "call_id": "c", "csat": 4, "extra": Infinity}',
        b"\xff\xfe{}",
    ],
)
def test_non_json_numbers_and_bytes_are_refused(raw: bytes) -> None:
    with pytest.raises(InvalidTelephonyEvent):
        parse_message(raw)
