"""The event contract: how a stored event travels on Kafka (topic perfledger.events).

The relay encodes, the projectors decode, replay and the event-trail read model chain the
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
        # One expression on the hot path (every event decoded); the details only on refusal.
        if not (
            isinstance(self.id, str)
            and isinstance(self.type, str)
            and isinstance(self.topic, str)
            and isinstance(self.at, str)
            and (self.actor is None or isinstance(self.actor, str))
            and isinstance(self.data, dict)
            and _is_int(self.version)
            and _is_int(self.notification_id)
        ):
            raise EnvelopeError(self._refusal())

    def _refusal(self) -> str:
        wanted: dict[str, type | tuple[type, ...]] = {
            "id": str,
            "type": str,
            "topic": str,
            "at": str,
            "actor": (str, type(None)),
            "data": dict,
        }
        wrong = [name for name, kind in wanted.items() if not isinstance(getattr(self, name), kind)]
        wrong += [
            name for name in ("version", "notification_id") if not _is_int(getattr(self, name))
        ]
        return "wrong types: " + ", ".join(
            f"{name} ({type(getattr(self, name)).__name__})" for name in wrong
        )

    @property
    def kind(self) -> str:
        """The aggregate class name, e.g. 'Goal' for 'Goal.TargetRevised'."""
        return self.type.split(".", 1)[0]


FIELD_NAMES = tuple(f.name for f in fields(EventEnvelope))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


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
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()
