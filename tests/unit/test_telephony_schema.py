"""The telephony contract: what parses, what is dead-lettered, and the reason it gives."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.telephony.schema import (
    DEFAULT_LIMITS,
    MAX_MESSAGE_BYTES,
    AgentInterval,
    CallCompleted,
    InvalidTelephonyEvent,
    Limits,
    QaEvaluated,
    SurveyCompleted,
    parse_message,
    parse_object,
    to_archive_dict,
)

# Copied from shared/examples/telephony-valid.jsonl (unit tests read no files).
CALL = (
    b'{"event_id": "0b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d01", "type": "call.completed", '
    b'"agent_id": "agent-017", "team_id": "team-north", '
    b'"occurred_at": "2026-10-05T09:14:03+02:00", "call_id": "c-88121", '
    b'"talk_seconds": 212.4, "hold_seconds": 31.0, "acw_seconds": 45.5, '
    b'"transferred": false, "resolved_first_contact": true}'
)
LATE_EVENING_CALL = (
    b'{"event_id": "0b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d02", "type": "call.completed", '
    b'"agent_id": "agent-017", "team_id": "team-north", '
    b'"occurred_at": "2026-10-05T23:58:10-05:00", "call_id": "c-88122", '
    b'"talk_seconds": 95.0, "hold_seconds": 0.0, "acw_seconds": 20.0, '
    b'"transferred": true, "resolved_first_contact": null}'
)
SURVEY = (
    b'{"event_id": "0b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d03", "type": "survey.completed", '
    b'"agent_id": "agent-017", "team_id": "team-north", '
    b'"occurred_at": "2026-10-07T11:00:00Z", "call_id": "c-88121", "csat": 4}'
)
QA = (
    b'{"event_id": "0b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d04", "type": "qa.evaluated", '
    b'"agent_id": "agent-017", "team_id": "team-north", '
    b'"occurred_at": "2026-10-09T15:30:00+00:00", "call_id": "c-88122", "qa_score": 86, '
    b'"evaluator_id": "qa-lead-2"}'
)
INTERVAL = (
    b'{"event_id": "0b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d05", "type": "agent.interval", '
    b'"agent_id": "agent-017", "team_id": "team-north", '
    b'"occurred_at": "2026-10-05T07:00:00Z", "interval_seconds": 900, '
    b'"scheduled_seconds": 900, "adherent_seconds": 810, "available_seconds": 780, '
    b'"handling_seconds": 600, "schema_version": 1}'
)


def _with(example: bytes, **changes: Any) -> bytes:
    return json.dumps({**json.loads(example), **changes}).encode()


def _without(example: bytes, name: str) -> bytes:
    data = json.loads(example)
    del data[name]
    return json.dumps(data).encode()


def _reason(raw: bytes) -> str:
    with pytest.raises(InvalidTelephonyEvent) as caught:
        parse_message(raw)
    return caught.value.reason


@pytest.mark.parametrize(
    ("raw", "model"),
    [
        (CALL, CallCompleted),
        (LATE_EVENING_CALL, CallCompleted),
        (SURVEY, SurveyCompleted),
        (QA, QaEvaluated),
        (INTERVAL, AgentInterval),
    ],
)
def test_each_example_event_parses_to_its_type(raw: bytes, model: type) -> None:
    assert isinstance(parse_message(raw), model)


def test_archive_dict_normalises_occurred_at_to_utc() -> None:
    archived = to_archive_dict(parse_message(LATE_EVENING_CALL))
    assert archived["occurred_at"] == "2026-10-06T04:58:10+00:00"


def test_archive_dict_is_json_ready_and_parses_back_to_the_same_event() -> None:
    archived = to_archive_dict(parse_message(CALL))
    again = to_archive_dict(parse_message(json.dumps(archived).encode()))
    assert again == archived
    assert archived["event_id"] == "0b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d01"
    assert archived["resolved_first_contact"] is True


@pytest.mark.parametrize(
    ("written", "utc"),
    [
        ("2026-10-05 09:14:03+02:00", "2026-10-05T07:14:03+00:00"),
        ("2026-10-05t07:14:03z", "2026-10-05T07:14:03+00:00"),
        ("2026-10-05T07:14:03.25Z", "2026-10-05T07:14:03.250000+00:00"),
    ],
)
def test_every_rfc_3339_spelling_is_accepted(written: str, utc: str) -> None:
    assert to_archive_dict(parse_message(_with(CALL, occurred_at=written)))["occurred_at"] == utc


def test_schema_version_defaults_to_1() -> None:
    assert parse_message(CALL).schema_version == 1


def test_event_id_is_kept_in_lower_case_so_spellings_deduplicate() -> None:
    event = parse_message(_with(CALL, event_id="0B7E2C1A-4F4E-4C39-9D0E-1F2A3B4C5D01"))
    assert event.event_id == "0b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d01"


def test_unknown_extra_fields_are_ignored() -> None:
    event = parse_message(_with(CALL, queue_id="billing"))
    assert "queue_id" not in to_archive_dict(event)


def test_null_resolution_means_unknown() -> None:
    assert parse_message(LATE_EVENING_CALL).resolved_first_contact is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (_with(CALL, occurred_at="2026-10-05T09:14:03"), "occurred_at: must be an RFC 3339"),
        (_with(CALL, occurred_at="2026-10-05"), "occurred_at: must be an RFC 3339"),
        (_with(CALL, occurred_at=1790000000), "occurred_at: must be an RFC 3339"),
        (_with(CALL, occurred_at="2026-02-30T10:00:00Z"), "occurred_at: is not a valid date"),
        (_with(CALL, occurred_at="2026-10-05T09:14:03+0200"), "occurred_at: must be an RFC 3339"),
        (_with(CALL, occurred_at="\uff12026-10-05T09:14:03Z"), "occurred_at: must be an RFC 3339"),
        (_with(CALL, talk_seconds=-3), "talk_seconds: must be >= 0"),
        (_with(INTERVAL, scheduled_seconds=-1), "scheduled_seconds: must be >= 0"),
        (_with(CALL, talk_seconds="212.4"), "talk_seconds: must be a number"),
        (_with(CALL, hold_seconds=True), "hold_seconds: must be a number"),
        (_with(CALL, transferred="true"), "transferred: must be a JSON boolean"),
        (_with(CALL, transferred=0), "transferred: must be a JSON boolean"),
        (_with(CALL, resolved_first_contact="false"), "resolved_first_contact: must be a JSON"),
        (_with(CALL, resolved_first_contact=1), "resolved_first_contact: must be a JSON"),
        (_without(CALL, "resolved_first_contact"), "resolved_first_contact: required"),
        (_without(CALL, "agent_id"), "agent_id: required"),
        (_with(CALL, agent_id=""), "agent_id: must be 1 to 128 printable characters"),
        (_with(CALL, team_id="team\u0000north"), "team_id: must be 1 to 128 printable"),
        (_with(CALL, agent_id=17), "agent_id: must be a string"),
        (_with(CALL, event_id="not-a-uuid"), "event_id: must be a UUID"),
        (_with(CALL, event_id="0b7e2c1a4f4e4c399d0e1f2a3b4c5d01"), "event_id: must be a UUID"),
        (_with(CALL, schema_version=2), "schema_version: unsupported version"),
        (_with(CALL, schema_version="1"), "schema_version: unsupported version"),
        (_with(SURVEY, csat=7), "csat: must be between 1 and 5"),
        (_with(SURVEY, csat=0), "csat: must be between 1 and 5"),
        (_with(SURVEY, csat=4.0), "csat: must be an integer"),
        (_with(SURVEY, csat="4"), "csat: must be an integer"),
        (_with(QA, qa_score=100.5), "qa_score: must be between 0 and 100"),
        (_without(QA, "evaluator_id"), "evaluator_id: required"),
    ],
)
def test_invalid_fields_are_rejected_naming_the_field(raw: bytes, reason: str) -> None:
    assert _reason(raw).startswith(reason)


def test_infinite_durations_are_rejected() -> None:
    raw = CALL.replace(b'"talk_seconds": 212.4', b'"talk_seconds": 1e999')
    assert _reason(raw) == "talk_seconds: must be a finite number"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (CALL[:120], "message: not valid JSON"),
        (b"", "message: not valid JSON"),
        (CALL.replace(b"212.4", b"NaN"), "message: not valid JSON (NaN is not allowed)"),
        (b"[" * 60_000, "message: not valid JSON"),
        (b"\xff\xfe{}", "message: not valid UTF-8"),
        (b"[]", "message: not a JSON object (got array)"),
        (b'"call.completed"', "message: not a JSON object (got string)"),
        (b"null", "message: not a JSON object (got null)"),
    ],
)
def test_malformed_messages_are_rejected(raw: bytes, reason: str) -> None:
    assert _reason(raw).startswith(reason)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (_with(CALL, type="call.transferred"), "type: unknown event type 'call.transferred'"),
        (_without(CALL, "type"), "type: required"),
        (_with(CALL, type=5), "type: must be a string"),
    ],
)
def test_unknown_or_missing_type_is_rejected(raw: bytes, reason: str) -> None:
    assert _reason(raw) == reason


def _padded_to(size: int) -> bytes:
    """A valid call of exactly `size` bytes, padded with an ignored field."""
    bare = _with(CALL, notes="")
    return _with(CALL, notes="x" * (size - len(bare)))


def test_message_of_exactly_64_kib_is_accepted() -> None:
    raw = _padded_to(MAX_MESSAGE_BYTES)
    assert len(raw) == MAX_MESSAGE_BYTES
    assert isinstance(parse_message(raw), CallCompleted)


def test_message_over_64_kib_is_rejected_even_when_valid() -> None:
    reason = _reason(_padded_to(MAX_MESSAGE_BYTES + 1))
    assert reason == "message: too big (65537 bytes, limit 65536)"


def test_size_is_checked_before_decoding() -> None:
    assert _reason(b"\xff" * 70_000).startswith("message: too big")


def test_several_problems_make_one_line_naming_each_field() -> None:
    reason = _reason(_with(SURVEY, csat=9, agent_id="", occurred_at="yesterday"))
    assert "\n" not in reason
    fields = {part.split(":")[0] for part in reason.split("; ")}
    assert fields == {"agent_id", "occurred_at", "csat"}


def test_every_problem_is_named_without_and_n_more() -> None:
    reason = _reason(b'{"type": "call.completed"}')
    assert "more" not in reason
    assert reason.count(";") == 9 and reason.endswith("resolved_first_contact: required")


def test_decoded_objects_from_an_http_batch_validate_the_same_way() -> None:
    assert isinstance(parse_object(json.loads(SURVEY)), SurveyCompleted)
    with pytest.raises(InvalidTelephonyEvent, match="csat: must be between 1 and 5"):
        parse_object({**json.loads(SURVEY), "csat": 6})


def test_invalid_telephony_event_is_a_value_error_carrying_its_reason() -> None:
    error = InvalidTelephonyEvent("csat: must be between 1 and 5")
    assert isinstance(error, ValueError)
    assert str(error) == error.reason


# --- plausibility bounds (adapters/telephony/bounds.py) ------------------------------------

NOW = datetime(2026, 10, 10, 12, 0, tzinfo=UTC)


def _bounds_reason(raw: bytes, limits: Limits = DEFAULT_LIMITS) -> str:
    with pytest.raises(InvalidTelephonyEvent) as caught:
        parse_message(raw, limits, NOW)
    return caught.value.reason


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (_with(CALL, talk_seconds=1e16), "talk_seconds: must be at most 28800"),
        (_with(CALL, talk_seconds=1e15), "talk_seconds: must be at most 28800"),
        (_with(CALL, hold_seconds=28800.5), "hold_seconds: must be at most 28800"),
        (_with(CALL, acw_seconds=10**20), "acw_seconds: must be at most 28800"),
        (
            _with(INTERVAL, interval_seconds=86401, scheduled_seconds=0, adherent_seconds=0),
            "interval_seconds: must be at most 86400",
        ),
        (
            _with(INTERVAL, handling_seconds=600, available_seconds=300),
            "handling_seconds: must not exceed available_seconds (600 > 300)",
        ),
        (
            _with(INTERVAL, available_seconds=1200, handling_seconds=0),
            "available_seconds: must not exceed interval_seconds (1200 > 900)",
        ),
        (
            _with(INTERVAL, adherent_seconds=901),
            "adherent_seconds: must not exceed scheduled_seconds (901 > 900)",
        ),
        (
            _with(INTERVAL, scheduled_seconds=1000, adherent_seconds=0),
            "scheduled_seconds: must not exceed interval_seconds (1000 > 900)",
        ),
        (
            _with(CALL, occurred_at="2099-01-01T00:00:00Z"),
            "occurred_at: more than 300 seconds in the future",
        ),
        (
            _with(CALL, occurred_at="2026-10-10T12:05:01Z"),
            "occurred_at: more than 300 seconds in the future",
        ),
        (
            _with(CALL, occurred_at="1999-12-31T23:59:59Z"),
            "occurred_at: before 2000-01-01T00:00:00+00:00",
        ),
    ],
)
def test_implausible_values_are_refused_naming_the_field(raw: bytes, reason: str) -> None:
    assert _bounds_reason(raw) == reason


def test_values_at_the_bounds_are_accepted() -> None:
    at_limits = [
        _with(
            CALL,
            talk_seconds=28800,
            hold_seconds=28800.0,
            acw_seconds=0,
            occurred_at="2026-10-10T12:05:00Z",
        ),
        _with(CALL, occurred_at="2000-01-01T00:00:00Z"),
        _with(
            INTERVAL,
            interval_seconds=86400,
            scheduled_seconds=86400,
            adherent_seconds=86400,
            available_seconds=86400,
            handling_seconds=86400,
        ),
    ]
    for raw in at_limits:
        parse_message(raw, DEFAULT_LIMITS, NOW)


def test_every_broken_bound_is_named() -> None:
    reason = _bounds_reason(
        _with(
            INTERVAL,
            handling_seconds=900,
            available_seconds=800,
            adherent_seconds=901,
            occurred_at="2099-01-01T00:00:00Z",
        )
    )
    assert [part.split(":")[0] for part in reason.split("; ")] == [
        "occurred_at",
        "handling_seconds",
        "adherent_seconds",
    ]


def test_limits_are_configurable() -> None:
    generous = Limits(
        max_call_part_seconds=1e17, earliest=datetime(1990, 1, 1, tzinfo=UTC), max_future_seconds=0
    )
    parse_message(_with(CALL, talk_seconds=1e16, occurred_at="1995-01-01T00:00:00Z"), generous, NOW)
    assert _bounds_reason(_with(CALL, occurred_at="2026-10-10T12:00:01Z"), generous).startswith(
        "occurred_at"
    )


def test_without_limits_only_the_contract_is_checked() -> None:
    # How the archive is read back: its events were accepted under the limits of their day.
    parse_message(_with(CALL, talk_seconds=1e16, occurred_at="2099-01-01T00:00:00Z"), limits=None)


def test_a_decoded_http_element_meets_the_same_bounds() -> None:
    with pytest.raises(InvalidTelephonyEvent, match="adherent_seconds: must not exceed"):
        parse_object({**json.loads(INTERVAL), "adherent_seconds": 901}, now=NOW)


@pytest.mark.parametrize("name", ["talk_seconds", "hold_seconds", "acw_seconds"])
def test_booleans_are_not_numbers(name: str) -> None:
    assert _bounds_reason(_with(CALL, **{name: True})) == f"{name}: must be a number"


def test_numbers_are_not_booleans() -> None:
    assert _bounds_reason(_with(CALL, transferred=1)).startswith(
        "transferred: must be a JSON boolean"
    )
    assert _bounds_reason(_with(SURVEY, csat=True)).startswith("csat: must be an integer")
