"""The event envelope: how a stored event travels on Kafka (topic perfledger.events)."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict

ENVELOPE_FIELDS = ("originator_id", "originator_version", "timestamp", "originator_topic")


class EventEnvelope(BaseModel):
    """One domain event: which aggregate, which version, what happened, who, when."""

    model_config = ConfigDict(frozen=True)

    id: str
    version: int
    type: str
    topic: str
    at: str
    actor: str | None
    data: dict[str, Any]
    notification_id: int

    @property
    def kind(self) -> str:
        """The aggregate class name, e.g. 'Goal' for 'Goal.TargetRevised'."""
        return self.type.split(".", 1)[0]


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
    return json.dumps(envelope.model_dump(), separators=(",", ":"), sort_keys=True).encode()


def decode(raw: bytes) -> EventEnvelope:
    return EventEnvelope.model_validate_json(raw)
