"""The event contract: how a stored event travels on Kafka (topic perfledger.events).

The relay encodes, the projectors decode, replay and the history read model chain the
same envelopes by hash; so the contract lives here, beside the events it carries, where
engine/, projections/ and adapters/ may all import it. Standard library only: the bytes on
the wire are canonical JSON (sorted keys, no spaces) and must never change shape
(tests/unit/test_contract.py holds them byte for byte).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

ENVELOPE_FIELDS = ("originator_id", "originator_version", "timestamp", "originator_topic")
GENESIS = "0" * 64  # the previous hash of an aggregate's first event


class EnvelopeError(ValueError):
    """An envelope whose fields have the wrong types (a data fault: it is parked, not retried)."""


@dataclass(frozen=True)
class EventEnvelope:
    """One domain event: which aggregate, which version, what happened, who, when."""

    id: str
    version: int
    type: str
    topic: str
    at: str
    actor: str | None
    data: dict[str, Any]
    notification_id: int

    def __post_init__(self) -> None:
        for name in ("id", "type", "topic", "at"):
            _expect(name, getattr(self, name), str)
        for name in ("version", "notification_id"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise EnvelopeError(f"{name}: an integer is needed, not {type(value).__name__}")
        if self.actor is not None:
            _expect("actor", self.actor, str)
        _expect("data", self.data, dict)

    @property
    def kind(self) -> str:
        """The aggregate class name, e.g. 'Goal' for 'Goal.TargetRevised'."""
        return self.type.split(".", 1)[0]


FIELD_NAMES = tuple(f.name for f in fields(EventEnvelope))


def _expect(name: str, value: Any, kind: type) -> None:
    if not isinstance(value, kind):
        raise EnvelopeError(f"{name}: {kind.__name__} needed, not {type(value).__name__}")


def plain(value: Any) -> Any:
    """JSON-ready form of the values events carry."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def envelope_of(notification_id: int, topic: str, attributes: dict[str, Any]) -> EventEnvelope:
    """The envelope of a decoded domain event (its attributes from vars(event))."""
    data = {k: plain(v) for k, v in attributes.items() if k not in ENVELOPE_FIELDS}
    return EventEnvelope(
        id=str(attributes["originator_id"]),
        version=int(attributes["originator_version"]),
        type=topic.rsplit(":", 1)[-1],
        topic=topic,
        at=plain(attributes["timestamp"]),
        actor=data.get("actor"),
        data=data,
        notification_id=notification_id,
    )


def encode(envelope: EventEnvelope) -> bytes:
    """The message value: canonical JSON of every field."""
    # Not dataclasses.asdict: it deep-copies `data`, and this runs for every event relayed.
    as_dict = {name: getattr(envelope, name) for name in FIELD_NAMES}
    return json.dumps(as_dict, separators=(",", ":"), sort_keys=True).encode()


def decode(raw: bytes | None) -> EventEnvelope:
    """The envelope of a message value; EnvelopeError (a ValueError) when it is not one."""
    try:
        found = json.loads(raw)  # type: ignore[arg-type]  # None: a tombstone, refused below
    except (ValueError, TypeError) as error:  # JSON and UTF-8 errors, and a message without a value
        raise EnvelopeError(f"not JSON: {error}") from error
    if not isinstance(found, dict):
        raise EnvelopeError(f"a JSON object is needed, not {type(found).__name__}")
    missing = [name for name in FIELD_NAMES if name not in found]
    if missing:
        raise EnvelopeError(f"missing fields: {', '.join(missing)}")
    return EventEnvelope(**{name: found[name] for name in FIELD_NAMES})  # other keys are ignored


def event_hash(prev_hash: str, event: EventEnvelope) -> str:
    """SHA-256 over the previous hash and the event's canonical JSON: the audit chain's link."""
    body = json.dumps(
        [event.id, event.version, event.type, event.at, event.actor, event.data],
        sort_keys=True, separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()
