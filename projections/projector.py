"""The domain-event projector: Kafka records of perfledger.events into the document and
event-trail models.

An event that cannot be applied (the consumer loop isolates it) is parked under
`EVENTS`, with its source offset and reason; the aggregate's later
versions then park behind it, and every other aggregate goes on (projections/parking.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aggregates.contract import EnvelopeError, EventEnvelope, decode
from projections.parking import Parking, park_event
from projections.store import Cursor, EventModels, EventProjection

log = logging.getLogger(__name__)


@dataclass
class ProjectorCounts:
    applied: int = 0
    duplicates: int = 0
    gaps: int = 0
    undecodable: int = 0
    parked: int = 0
    waiting: int = 0


class EventsProjector:
    """Batch handler for the shared consumer loop."""

    def __init__(
        self,
        topic: str,
        models: EventModels,
        parking: Parking,
        group: str = "perfledger.projector",
    ) -> None:
        self.group = group
        self.topics: tuple[str, ...] = (topic,)
        self.parking = parking
        self.projection = EventProjection(models, parking)
        self.counts = ProjectorCounts()

    def apply(self, cur: Cursor, records: Sequence[Any]) -> bool:
        """Applies the batch; asks for a broker-life check when it saw a gap."""
        events: list[EventEnvelope] = []
        sources: dict[tuple[str, int], str] = {}
        for record in records:
            try:
                event = decode(record.value)
            except EnvelopeError as error:
                self.counts.undecodable += 1
                log.error("undecodable event at %s:%s: %s", record.partition, record.offset, error)
                self.parking.park(
                    cur,
                    self.group,
                    (record.key or b"").decode("utf-8", "replace"),
                    record.offset,
                    source_of(record),
                    error,
                    record.value,
                )
                continue
            events.append(event)
            sources[(event.id, event.version)] = source_of(record)
        result = self.projection.apply(cur, events, lambda e: sources[(e.id, e.version)])
        self.counts.applied += result.applied
        self.counts.duplicates += result.duplicates
        self.counts.gaps += len(result.gaps)
        self.counts.waiting += result.waiting
        if result.gaps:
            log.warning(
                "events ahead of the read model (left for the re-feed): %s", result.gaps[:5]
            )
        return bool(result.gaps)

    def park(self, cur: Cursor, record: Any, error: BaseException) -> None:
        """Parks an event that could not be applied on its own (called by the consumer loop)."""
        self.counts.parked += 1
        event = decode(record.value)  # it decoded when applied, so it decodes here
        park_event(self.parking, cur, event, source_of(record), error)


def source_of(record: Any) -> str:
    return f"{record.topic}:{record.partition}:{record.offset}"
