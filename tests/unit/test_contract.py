"""The event contract: the bytes on perfledger.events never change shape, and what is not an
envelope is refused as a data fault (a ValueError), so it is parked rather than retried."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import pytest

from aggregates.contract import EnvelopeError, EventEnvelope, decode, encode, envelope_of
from aggregates.faults import is_data_fault

ATTRIBUTES = {
    "originator_id": UUID("5a0c1a2e-0c3b-4f4e-9a57-3a4b9a1f0c11"),
    "originator_version": 3,
    "timestamp": datetime(2026, 10, 5, 9, 30, 1, 250000, tzinfo=UTC),
    "originator_topic": "aggregates.goal:Goal",
    "actor": "manager:bob",
    "target": Decimal("300.50"),
    "value": 1.5,
    "due": date(2026, 12, 31),
    "items": ({"owner": "agent-1", "done": None}, ["x", 2]),
    "note": 'Sûr — "quoted"\n',
    "ok": True,
}
# Encoded by the pydantic envelope the contract replaced (engine/envelope.py): the same bytes.
WIRE = (
    b'{"actor":"manager:bob","at":"2026-10-05T09:30:01.250000+00:00","data":{"actor":"manager:bob",'
    b'"due":"2026-12-31","items":[{"done":null,"owner":"agent-1"},["x",2]],'
    b'"note":"S\\u00fbr \\u2014 \\"quoted\\"\\n","ok":true,"target":"300.50","value":1.5},'
    b'"id":"5a0c1a2e-0c3b-4f4e-9a57-3a4b9a1f0c11","notification_id":42,'
    b'"topic":"aggregates.goal:Goal.TargetRevised","type":"Goal.TargetRevised","version":3}'
)
SYSTEM_WIRE = (
    b'{"actor":null,"at":"2026-01-01T00:00:00+02:00","data":{},"id":"x","notification_id":7,'
    b'"topic":"aggregates.alert:Alert.Raised","type":"Alert.Raised","version":1}'
)


def test_an_event_is_encoded_to_the_same_bytes_as_before_the_contract_moved() -> None:
    assert encode(envelope_of(42, "aggregates.goal:Goal.TargetRevised", ATTRIBUTES)) == WIRE
    plus_two = datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=2)))
    system = {
        "originator_id": "x",
        "originator_version": 1,
        "timestamp": plus_two,
        "originator_topic": "t",
    }
    assert encode(envelope_of(7, "aggregates.alert:Alert.Raised", system)) == SYSTEM_WIRE


def test_the_bytes_decode_to_the_envelope_they_came_from() -> None:
    envelope = envelope_of(42, "aggregates.goal:Goal.TargetRevised", ATTRIBUTES)
    assert decode(WIRE) == envelope and envelope.kind == "Goal"
    assert encode(decode(WIRE)) == WIRE


def test_unknown_fields_are_ignored_so_a_newer_relay_does_not_stop_an_older_projector() -> None:
    assert decode(SYSTEM_WIRE[:-1] + b',"partition_hint":3}') == decode(SYSTEM_WIRE)


@pytest.mark.parametrize(
    "raw",
    [
        None,
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        SYSTEM_WIRE.replace(b'"version":1', b'"version":"one"'),
        SYSTEM_WIRE.replace(b'"version":1', b'"version":true'),
        SYSTEM_WIRE.replace(b'"actor":null', b'"actor":5'),
        SYSTEM_WIRE.replace(b'"data":{}', b'"data":[]'),
        SYSTEM_WIRE.replace(b'"id":"x",', b""),
    ],
)
def test_what_is_not_an_envelope_is_refused_as_a_data_fault(raw: bytes | None) -> None:
    with pytest.raises(EnvelopeError) as refused:
        decode(raw)
    assert is_data_fault(refused.value)


def test_an_event_whose_actor_is_not_text_cannot_be_enveloped() -> None:
    with pytest.raises(EnvelopeError):
        envelope_of(
            1,
            "t:Goal.Set",
            {"originator_id": "x", "originator_version": 1, "timestamp": "z", "actor": 5},
        )
    with pytest.raises(EnvelopeError):
        EventEnvelope(
            id="x",
            version=1,
            type="T",
            topic="t",
            at="z",
            actor=None,
            data={},
            notification_id=1.5,  # type: ignore[arg-type]
        )
