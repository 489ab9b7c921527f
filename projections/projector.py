"""The domain-event projector: Kafka records of perfledger.events into documents and history."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from engine.envelope import decode
from projections.store import Cursor, EventProjection

log = logging.getLogger(__name__)


@dataclass
class ProjectorCounts:
    applied: int = 0
    duplicates: int = 0
    gaps: int = 0
    undecodable: int = 0


class EventsProjector:
    """Batch handler for the shared consumer loop."""

    def __init__(self, topic: str, group: str = "perfledger.projector") -> None:
        self.group = group
        self.topics: tuple[str, ...] = (topic,)
        self.projection = EventProjection()
        self.counts = ProjectorCounts()

    def apply(self, cur: Cursor, records: Sequence[Any]) -> bool:
        """Applies the batch; asks for a broker-life check when it saw a gap."""
        events = []
        for record in records:
            try:
                events.append(decode(record.value))
            except ValidationError as error:
                self.counts.undecodable += 1
                log.error("undecodable event at %s:%s: %s", record.partition, record.offset, error)
        result = self.projection.apply(cur, events)
        self.counts.applied += result.applied
        self.counts.duplicates += result.duplicates
        self.counts.gaps += len(result.gaps)
        if result.gaps:
            log.warning("events ahead of the read model (left for the re-feed): %s", result.gaps[:5])
        return bool(result.gaps)
