"""Runs the live read models in-process, no broker: the projector's and ingestor's own code."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from types import SimpleNamespace
from typing import Any

from adapters.sql.documents_view import DocView
from adapters.sql.parked import ParkedView
from adapters.sql.rebuild_feed import apply_parking
from adapters.telephony.ingestor import TelephonyIngestor
from aggregates.contract import envelope_of
from engine.bootstrap import Container
from engine.integrity import seal_key
from projections.store import EventProjection
from tests.support import SECRET


class NoDeadLetters:
    def publish(self, topic: str, messages: Sequence[Any]) -> None:
        return None

    def close(self) -> None:
        return None


class LiveModels:
    """Applies new stored events and telephony messages exactly as the live consumers do."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.position = 0
        self.projection = EventProjection(DocView(), ParkedView())
        self.ingestor = TelephonyIngestor("t", "t.dlq", "g", NoDeadLetters(), seal_key(SECRET))

    def project(self) -> int:
        """Projects every event stored since the last call; returns how many."""
        app, done = self.container.app, 0
        while notifications := app.recorder.select_notifications(
            start=self.position, limit=500, inclusive_of_start=False
        ):
            events = [envelope_of(n.id, n.topic, app.event_as_dict(n)) for n in notifications]
            with self.container.db.transaction() as cur:
                apply_parking(
                    cur, self.projection, events
                )  # as the live projector: park what cannot apply
            self.position = notifications[-1].id
            done += len(events)
        return done

    def ingest(self, messages: Iterable[tuple[bytes, bytes]], batch: int = 2000) -> None:
        """Ingests telephony messages (key, value) in polls of `batch`."""
        records: list[Any] = []
        for offset, (key, value) in enumerate(messages):
            records.append(
                SimpleNamespace(key=key, value=value, topic="t", partition=0, offset=offset)
            )
            if len(records) == batch:
                self._poll(records)
                records = []
        if records:
            self._poll(records)

    def _poll(self, records: list[Any]) -> None:
        with self.container.db.transaction() as cur:
            self.ingestor.apply(cur, records)
