"""History read model: every event of every aggregate, chained per aggregate by hash."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from engine.envelope import EventEnvelope

GENESIS = "0" * 64


def event_hash(prev_hash: str, event: EventEnvelope) -> str:
    """SHA-256 over the previous hash and the event's canonical JSON."""
    body = json.dumps(
        [event.id, event.version, event.type, event.at, event.actor, event.data],
        sort_keys=True, separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def history_entry(event: EventEnvelope, prev_hash: str) -> dict[str, Any]:
    """The history row of an event, given the hash of the aggregate's previous event."""
    return {
        "aggregate_id": event.id, "version": event.version, "type": event.type, "at": event.at,
        "actor": event.actor, "data": event.data, "notification_id": event.notification_id,
        "hash": event_hash(prev_hash, event), "prev_hash": prev_hash,
    }
