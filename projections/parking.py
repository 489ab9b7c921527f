"""Parking: what cannot be applied is set aside with its reason, and the rest goes on.

Parked messages are keyed by (consumer, aggregate id, version). For the events read
models the consumer is `EVENTS` whoever projects them (live projector or rebuild), and
later versions of an aggregate with a parked event are parked too, as waiting behind it,
so a read model stays a prefix of the aggregate's events. Where they are kept is the
`Parking` given in (adapters/sql/parked.py); the bisecting around faults that finds
what to park is adapters/sql/isolate.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from aggregates.contract import EventEnvelope, encode

EVENTS = "events"
RELAY = "relay"  # events the relay could not publish: the events models wait behind them too


class Parking(Protocol):
    """Where unappliable messages are kept (a table, live or fresh), within the caller's
    transaction."""

    def park(
        self,
        cur: Any,
        consumer: str,
        aggregate_id: str,
        version: int,
        source: str,
        reason: str | BaseException,
        payload: bytes | None,
        waits_behind: int | None = None,
    ) -> None: ...

    def blocked(self, cur: Any, consumers: Sequence[str], ids: Sequence[str]) -> dict[str, int]: ...


def park_event(
    parking: Parking,
    cur: Any,
    event: EventEnvelope,
    source: str,
    error: BaseException | str,
    waits_behind: int | None = None,
) -> None:
    """Parks a domain event the read models could not take (or one waiting behind such an event)."""
    parking.park(cur, EVENTS, event.id, event.version, source, error, encode(event), waits_behind)


def store_source(event: EventEnvelope) -> str:
    """Where an event came from when it was read from the event store itself (rebuilds)."""
    return f"store:{event.notification_id}"


def blocked(parking: Parking, cur: Any, ids: Sequence[str]) -> dict[str, int]:
    """Per aggregate among `ids`: its earliest version parked by the events models or the relay."""
    return parking.blocked(cur, (EVENTS, RELAY), ids)
