"""The shared consumer loop: poll a batch, apply it and store its offsets in one transaction.

Offsets live in the read-model database beside the rows they produced, tagged with
the broker life they belong to. At assignment a partition resumes from its stored
offset only when that offset is from the broker's current life; otherwise it starts
from the beginning and the handler's own idempotence skips what was already applied.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.structs import OffsetAndMetadata

from adapters.kafka.client import consumer as make_consumer
from adapters.kafka.life import BrokerLife
from adapters.sql.database import Database
from adapters.sql.positions import load_offsets, save_offsets
from engine.settings import Settings

log = logging.getLogger(__name__)


class BatchHandler(Protocol):
    """Applies one polled batch inside the caller's transaction; returns True to ask for a life check.

    A handler may also have `prepare(records)`: it is called before the transaction and its
    result is what `apply` then receives.
    """

    group: str
    topics: tuple[str, ...]

    def apply(self, cur: Any, records: Any) -> bool: ...


@dataclass
class ConsumerStatus:
    """What a consumer loop has done, for /readyz and /metrics."""

    records: int = 0
    batches: int = 0
    errors: int = 0
    restarts_from_beginning: int = 0
    life: str | None = None
    lag: dict[str, int] = field(default_factory=dict)
    running: bool = False


class _SeekToStored(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, loop: ConsumerLoop) -> None:
        self.loop = loop

    def on_partitions_revoked(self, revoked: Any) -> None:
        pass

    def on_partitions_assigned(self, assigned: Any) -> None:
        self.loop.seek_assigned(list(assigned))


class ConsumerLoop:
    """Runs one handler in its consumer group until stopped."""

    def __init__(self, settings: Settings, bootstrap: str, db: Database, handler: BatchHandler) -> None:
        self.settings = settings
        self.bootstrap = bootstrap
        self.db = db
        self.handler = handler
        self.life = BrokerLife(settings, bootstrap)
        self.status = ConsumerStatus()
        self._consumer: KafkaConsumer | None = None

    def run(self, stop: threading.Event) -> None:
        """Consumes until stopped; reconnects with backoff when the broker is away."""
        backoff = 0.2
        while not stop.is_set():
            try:
                self._consume(stop)
                backoff = 0.2
            except Exception as error:  # noqa: BLE001 - a consumer must outlive any outage
                self.status.errors += 1
                log.warning("%s: %s; retrying in %.1fs", self.handler.group, error, backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                self._close()
        self.life.close()

    def _consume(self, stop: threading.Event) -> None:
        self.status.life = self.life.current()
        self._consumer = make_consumer(self.settings, self.bootstrap, self.handler.group)
        self._consumer.subscribe(list(self.handler.topics), listener=_SeekToStored(self))
        self.status.running = True
        checked = time.monotonic()
        while not stop.is_set():
            batch = self._consumer.poll(timeout_ms=200)
            check_now = time.monotonic() - checked > self.settings.life_check_seconds
            if check_now and self._life_changed():
                continue
            if check_now:
                checked = time.monotonic()
            if batch and self._apply(batch) and self._life_changed():
                continue

    def _life_changed(self) -> bool:
        """True (after rewinding every partition) when the broker started a new life."""
        try:
            current = self.life.current(timeout=2.0)
        except Exception as error:  # noqa: BLE001 - the broker is away; the consumer reconnects itself
            log.debug("%s: broker life unknown: %s", self.handler.group, error)
            return False
        if current == self.status.life:
            return False
        log.warning("%s: broker life changed; reading from the beginning", self.handler.group)
        self.status.life = current
        assert self._consumer is not None
        assigned = list(self._consumer.assignment())
        if assigned:
            self._consumer.seek_to_beginning(*assigned)
        self.status.restarts_from_beginning += 1
        return True

    def seek_assigned(self, partitions: list[TopicPartition]) -> None:
        assert self._consumer is not None
        self.status.life = self.life.current()
        stored = load_offsets(self.db, self.handler.group)
        for tp in partitions:
            position = stored.get((tp.topic, tp.partition))
            if position is not None and position.life == self.status.life:
                self._consumer.seek(tp, position.value)
            else:
                self._consumer.seek_to_beginning(tp)

    def _apply(self, batch: dict[TopicPartition, list[Any]]) -> bool:
        assert self._consumer is not None
        records = [r for tp in sorted(batch) for r in batch[tp]]
        offsets = {
            (tp.topic, tp.partition): (msgs[-1].offset + 1, self._highwater(tp, msgs[-1].offset + 1))
            for tp, msgs in batch.items()
        }
        # CPU-only work (validation) runs before the transaction, so writers of the same
        # database wait on each other for the writes alone.
        prepare = getattr(self.handler, "prepare", None)
        batch_input = prepare(records) if prepare is not None else records
        with self.db.transaction() as cur:
            wants_check = self.handler.apply(cur, batch_input)
            save_offsets(cur, self.handler.group, self.status.life or "", offsets)
        self.status.records += len(records)
        self.status.batches += 1
        for (topic, partition), (nxt, hw) in offsets.items():
            self.status.lag[f"{topic}:{partition}"] = max(hw - nxt, 0)
        self._commit_to_kafka(offsets)
        return wants_check

    def _highwater(self, tp: TopicPartition, fallback: int) -> int:
        assert self._consumer is not None
        found = self._consumer.highwater(tp)
        return int(found) if found is not None else fallback

    def _commit_to_kafka(self, offsets: dict[tuple[str, int], tuple[int, int]]) -> None:
        # Only for tools that read group offsets; our own truth is in the database.
        assert self._consumer is not None
        try:
            self._consumer.commit_async(
                {TopicPartition(t, p): OffsetAndMetadata(nxt, "", -1) for (t, p), (nxt, _) in offsets.items()}
            )
        except Exception as error:  # noqa: BLE001
            log.debug("group offset commit skipped: %s", error)

    def _close(self) -> None:
        self.status.running = False
        if self._consumer is not None:
            try:
                self._consumer.close(autocommit=False, timeout_ms=2000)
            except Exception:  # noqa: BLE001
                pass
            self._consumer = None
