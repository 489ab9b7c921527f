"""Rows of the event trail: every event of every aggregate, chained per aggregate by hash
(aggregates/contract.py)."""

from __future__ import annotations

from typing import Any

from aggregates.contract import EventEnvelope, event_hash


def history_entry(event: EventEnvelope, prev_hash: str) -> dict[str, Any]:
    """The trail row of an event, given the hash of the aggregate's previous event."""
    return {
        "aggregate_id": event.id,
        "version": event.version,
        "type": event.type,
        "at": event.at,
        "actor": event.actor,
        "data": event.data,
        "notification_id": event.notification_id,
        "hash": event_hash(prev_hash, event),
        "prev_hash": prev_hash,
    }
