"""The simulated contact centre: deterministic, realistic, valid, with late and bad messages."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.telephony.schema import InvalidTelephonyEvent, parse_message, to_archive_dict
from engine.simulate import DEFAULT_START, simulate

Message = tuple[bytes, bytes]


@pytest.fixture(scope="module")
def clean() -> list[Message]:
    return list(simulate(agents=30, teams=4, rate=1000, duration=8, seed=11))


@pytest.fixture(scope="module")
def events(clean: list[Message]) -> list[dict[str, Any]]:
    return [to_archive_dict(parse_message(value)) for _, value in clean]


def _of_type(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [event for event in events if event["type"] == kind]


def _at(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["occurred_at"])


def _share(items: list[dict[str, Any]], test: Any) -> float:
    return sum(1 for item in items if test(item)) / len(items)


def _classify(stream: list[Message]) -> Counter[str]:
    seen: set[Message] = set()
    kinds: Counter[str] = Counter()
    for message in stream:
        if message in seen:
            kinds["duplicate"] += 1
            continue
        try:
            parse_message(message[1])
            kinds["valid"] += 1
        except InvalidTelephonyEvent:
            kinds["invalid"] += 1
        seen.add(message)
    return kinds


def test_the_same_seed_gives_the_same_bytes() -> None:
    arguments: dict[str, Any] = {"agents": 5, "teams": 2, "rate": 100, "duration": 5}
    first = list(simulate(**arguments, bad_fraction=0.2, seed=4))
    assert first == list(simulate(**arguments, bad_fraction=0.2, seed=4))


def test_another_seed_gives_another_stream() -> None:
    assert list(simulate(5, 2, 100, 2, seed=1)) != list(simulate(5, 2, 100, 2, seed=2))


def test_it_yields_rate_times_duration_messages(clean: list[Message]) -> None:
    assert len(clean) == 8000
    assert len(list(simulate(agents=3, teams=1, rate=2.5, duration=3))) == 8


def test_without_bad_fraction_every_message_is_valid_and_distinct(
    clean: list[Message], events: list[dict[str, Any]]
) -> None:
    assert len({value for _, value in clean}) == len(clean) == len(events)
    assert len({event["event_id"] for event in events}) == len(events)


def test_the_key_is_the_agent_id(clean: list[Message], events: list[dict[str, Any]]) -> None:
    pairs = zip(clean, events, strict=True)
    assert all(key.decode() == event["agent_id"] for (key, _), event in pairs)


def test_every_event_type_appears(events: list[dict[str, Any]]) -> None:
    assert set(Counter(event["type"] for event in events)) == {
        "call.completed",
        "survey.completed",
        "qa.evaluated",
        "agent.interval",
    }


def test_calls_are_realistic(events: list[dict[str, Any]]) -> None:
    calls = _of_type(events, "call.completed")
    assert 210 < statistics.median(call["talk_seconds"] for call in calls) < 270
    assert 0.5 < _share(calls, lambda call: call["hold_seconds"] == 0) < 0.7
    held = [call["hold_seconds"] for call in calls if call["hold_seconds"]]
    assert min(held) >= 30 and max(held) <= 90
    assert all(30 <= call["acw_seconds"] <= 60 for call in calls)
    assert 0.65 < _share(calls, lambda call: call["resolved_first_contact"] is True) < 0.75
    assert 0.07 < _share(calls, lambda call: call["resolved_first_contact"] is None) < 0.13
    assert 0.05 < _share(calls, lambda call: call["transferred"]) < 0.11


def test_surveys_and_qa_scores_come_hours_to_days_after_their_call(
    events: list[dict[str, Any]],
) -> None:
    calls = {(c["agent_id"], c["call_id"]): _at(c) for c in _of_type(events, "call.completed")}
    linked = _of_type(events, "survey.completed") + _of_type(events, "qa.evaluated")
    delays = [
        _at(e) - calls[(e["agent_id"], e["call_id"])]
        for e in linked
        if (e["agent_id"], e["call_id"]) in calls
    ]
    assert delays and all(timedelta(hours=1) <= delay <= timedelta(days=5) for delay in delays)
    assert max(delays) > timedelta(days=1)
    # Surveys of ~20% of calls, QA of ~5%; fewer in a short stream, as the latest are unsent.
    surveys, qa = (len(_of_type(events, kind)) for kind in ("survey.completed", "qa.evaluated"))
    assert 0.08 < surveys / len(calls) < 0.22
    assert 0.01 < qa / len(calls) < 0.07


def test_some_calls_arrive_after_their_survey(events: list[dict[str, Any]]) -> None:
    position = {
        (e["agent_id"], e["call_id"]): n
        for n, e in enumerate(events)
        if e["type"] == "call.completed"
    }
    linked = [
        (n, (e["agent_id"], e["call_id"]))
        for n, e in enumerate(events)
        if e["type"] in ("survey.completed", "qa.evaluated")
    ]
    assert any(n < position.get(key, -1) for n, key in linked)


def test_timestamps_move_forward_from_start(events: list[dict[str, Any]]) -> None:
    calls = [_at(call) for call in _of_type(events, "call.completed")]
    assert min(calls) >= DEFAULT_START
    assert max(calls) - min(calls) > timedelta(hours=12)
    latest, behind = calls[0], 0
    for at in calls:
        behind += at < latest
        latest = max(latest, at)
    assert behind / len(calls) < 0.02  # only back-filled calls arrive behind the clock


def test_intervals_are_quarter_hours_with_consistent_figures(events: list[dict[str, Any]]) -> None:
    intervals = _of_type(events, "agent.interval")
    assert intervals
    for event in intervals:
        at = _at(event)
        assert (at.minute % 15, at.second) == (0, 0)
        assert event["scheduled_seconds"] == event["interval_seconds"] == 900
        assert 0 <= event["adherent_seconds"] <= event["scheduled_seconds"]
        assert 0 <= event["handling_seconds"] <= event["available_seconds"] <= 900
    occupancy = sum(e["handling_seconds"] for e in intervals) / sum(
        e["available_seconds"] for e in intervals
    )
    assert 0.7 < occupancy < 0.95


def test_start_sets_the_first_timestamps() -> None:
    start = datetime(2027, 3, 1, 8, tzinfo=UTC)
    stream = list(simulate(agents=3, teams=1, rate=50, duration=1, start=start))
    first = to_archive_dict(
        parse_message(stream[0][1], limits=None)
    )  # 2027: beyond the future bound
    assert start <= _at(first) < start + timedelta(hours=1)


def test_an_end_closes_the_span_and_nothing_later_is_sent() -> None:
    start = datetime(2026, 11, 30, 9, tzinfo=UTC)
    end = start + timedelta(days=1)
    stream = list(
        simulate(agents=6, teams=2, rate=100, duration=None, start=start, end=end, seed=3)
    )
    # Read as sent, not through the ingest bounds: this span may lie ahead of the real clock.
    stamps = [datetime.fromisoformat(json.loads(value)["occurred_at"]) for _, value in stream]
    assert stamps and max(stamps) <= end
    calls = [
        t for (_, value), t in zip(stream, stamps, strict=True) if b'"call.completed"' in value
    ]
    assert max(calls) > end - timedelta(hours=1)  # the span is covered up to its end


def test_a_duration_still_caps_a_stream_with_an_end() -> None:
    start = datetime(2026, 11, 30, tzinfo=UTC)
    capped = list(
        simulate(agents=6, teams=2, rate=10, duration=5, start=start, end=start + timedelta(days=3))
    )
    assert len(capped) == 50


def test_bad_fraction_mixes_invalid_messages_and_duplicates_in_equal_share() -> None:
    stream = list(simulate(agents=20, teams=3, rate=1000, duration=10, bad_fraction=0.2, seed=5))
    kinds = _classify(stream)
    assert sum(kinds.values()) == 10_000
    assert 0.08 < kinds["invalid"] / 10_000 < 0.12
    assert 0.08 < kinds["duplicate"] / 10_000 < 0.12


def test_every_kind_of_invalid_message_appears() -> None:
    reasons = []
    for _, value in simulate(agents=4, teams=2, rate=400, duration=1, bad_fraction=1.0, seed=9):
        try:
            parse_message(value)
        except InvalidTelephonyEvent as error:
            reasons.append(error.reason)
    for expected in (
        "not valid JSON",
        "must be a number",
        "required",
        "must be >= 0",
        "csat: must be between 1 and 5",
        "unknown event type",
        "too big",
        "must be an RFC 3339 timestamp",
        "must be a JSON boolean",
    ):
        assert any(expected in reason for reason in reasons), expected


@pytest.mark.parametrize(
    "arguments",
    [
        {"agents": 0},
        {"teams": 0},
        {"rate": 0},
        {"duration": -1},
        {"bad_fraction": 1.5},
        {"start": datetime(2026, 10, 5)},
        {"end": datetime(2026, 10, 5)},
        {"duration": None},
    ],
)
def test_impossible_arguments_are_refused_at_the_call(arguments: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        simulate(**{"agents": 2, "teams": 1, "rate": 1, "duration": 1, **arguments})
