"""The shared consumer loop: poll a batch, apply it and store its offsets in one transaction.

Offsets live in the read-model database beside the rows they produced, tagged with
the broker life they belong to. At assignment a partition resumes from its stored
offset only when that offset is from the broker's current life; otherwise it starts
from the beginning and the handler's own idempotence skips what was already applied.

Faults follow the pipeline-wide rule (aggregates/faults.py): a message that cannot be applied
(a data fault) is isolated by bisecting the batch in savepoints and parked with its reason
(the handler's own `park`, else a row of adapters/sql/parked.py), and the rest of the batch and
its offsets commit. Any other fault is retried with capped exponential backoff, counted
(`ConsumerStatus.retries`, the health board) and reported to /readyz via the health board.

A fetched batch that cannot even be decoded into messages (a codec without its library, a
corrupt batch: adapters/kafka/undecodable.py) is a data fault of its whole offset range: the
range is set aside with the reason (the handler's own `undecodable`, else a parked
row), its end stored as the partition's offset in the same transaction, and the consumer
seeks past it, never retrying it forever.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any, Generic, Protocol, TypeVar

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.structs import OffsetAndMetadata

from adapters.kafka.client import Bootstrap, resolve
from adapters.kafka.client import consumer as make_consumer
from adapters.kafka.life import BrokerLife
from adapters.kafka.undecodable import Span, locate, why
from adapters.sql.database import Database
from adapters.sql.isolate import isolate
from adapters.sql.parked import ParkedView
from adapters.sql.positions import load_offsets, save_offsets
from aggregates.faults import reason_of
from engine.health import Backoff, HealthBoard
from engine.settings import Settings

log = logging.getLogger(__name__)


class BatchHandler(Protocol):
    """Applies one polled batch inside the caller's transaction;
    returns True to ask for a life check.

    A handler may also have `prepare(records)`: it is called before the transaction and its
    result is what `apply` then receives. And `park(cur, record, error)`: called, inside the
    transaction, for a message that cannot be applied (a data fault, alone); without it the
    loop parks the message (adapters/sql/parked.py) under the handler's group.
    And `undecodable(cur, span, reason)`: called, inside the transaction, for a range of
    offsets whose batch could not be decoded; without it the loop parks the range.
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
    retries: int = 0
    parked: int = 0
    undecodable: int = 0  # offsets set aside because their batch could not be decoded
    restarts_from_beginning: int = 0
    life: str | None = None
    lag: dict[str, int] = field(default_factory=dict)
    running: bool = False


class _SeekToStored(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, loop: ConsumerLoop[Any]) -> None:
        self.loop = loop

    def on_partitions_revoked(self, revoked: Any) -> None:
        pass

    def on_partitions_assigned(self, assigned: Any) -> None:
        self.loop.seek_assigned(list(assigned))


Handler = TypeVar("Handler", bound=BatchHandler)


class ConsumerLoop(Generic[Handler]):
    """Runs one handler in its consumer group until stopped."""

    def __init__(
        self,
        settings: Settings,
        bootstrap: Bootstrap,
        db: Database,
        handler: Handler,
        health: HealthBoard | None = None,
    ) -> None:
        self.settings = settings
        self.bootstrap = bootstrap
        self.db = db
        self.handler = handler
        self.life = BrokerLife(settings, bootstrap)
        self.status = ConsumerStatus()
        self.health = health or HealthBoard()
        self._health_key = self.health.register(handler.group)
        self._position = "connect"
        self._consumer: KafkaConsumer | None = None

    def run(self, stop: threading.Event) -> None:
        """Consumes until stopped; an infrastructure fault is retried, from the stored offsets,
        with backoff."""
        self.life.stop = stop
        backoff = Backoff(cap=self.settings.retry_backoff_max_seconds)
        while not stop.is_set():
            try:
                self._consume(stop, backoff)
            except Exception as error:  # noqa: BLE001 - a consumer must outlive any outage
                self.status.errors += 1
                self.status.retries += 1
                entry = self.health.failed(self._health_key, self._position, reason_of(error))
                delay = backoff.next()
                log.warning(
                    "%s: retry %d at %s (failing since %s): %s; next in %.1fs",
                    self.handler.group,
                    entry.retries,
                    self._position,
                    entry.since,
                    error,
                    delay,
                )
                stop.wait(delay)
            finally:
                self._close()
        self.life.close()

    def _consume(self, stop: threading.Event, backoff: Backoff) -> None:
        self._position = "connect"
        self.status.life = self.life.current()
        address = resolve(self.bootstrap)
        self._consumer = make_consumer(self.settings, address, self.handler.group)
        self._consumer.subscribe(list(self.handler.topics), listener=_SeekToStored(self))
        self.status.running = True
        checked = time.monotonic()
        while (
            not stop.is_set() and resolve(self.bootstrap) == address
        ):  # else reconnect at the new one
            try:
                batch = self._consumer.poll(timeout_ms=200)
            except Exception as error:
                span = locate(error)
                if span is None:
                    raise  # not about the bytes of a batch: retried with backoff
                self._set_aside(span, error)
                continue
            check_now = time.monotonic() - checked > self.settings.life_check_seconds
            if check_now and self._life_changed():
                continue
            if check_now:
                checked = time.monotonic()
            if not batch:
                # Polling without failing for longer than a retry takes: no longer stuck anywhere.
                self.health.quiet_since(self._health_key, self._quiet_seconds())
                continue
            wants_check = self._apply(batch)
            self._position = "poll"  # a fault from here on is not about the batch just applied
            backoff.reset()
            self.health.recovered(self._health_key)
            if wants_check and self._life_changed():
                continue

    def _quiet_seconds(self) -> float:
        settings = self.settings
        return settings.retry_backoff_max_seconds + settings.kafka_session_timeout_ms / 1000 + 1.0

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
            (tp.topic, tp.partition): (
                msgs[-1].offset + 1,
                self._highwater(tp, msgs[-1].offset + 1),
            )
            for tp, msgs in batch.items()
        }
        first = records[0]
        self._position = f"{first.topic}:{first.partition}:{first.offset}"
        # CPU-only work (validation) runs before the transaction, so writers of the same
        # database wait on each other for the writes alone.
        prepare = getattr(self.handler, "prepare", None)
        batch_input = prepare(records) if prepare is not None else records
        with self.db.transaction() as cur:

            def apply(part: Any) -> bool:
                if part is records:
                    return self.handler.apply(cur, batch_input)
                return self.handler.apply(cur, prepare(part) if prepare is not None else part)

            wants_check = any(
                isolate(cur, records, apply, lambda record, error: self._park(cur, record, error))
            )
            save_offsets(cur, self.handler.group, self.status.life or "", offsets)
        self.status.records += len(records)
        self.status.batches += 1
        for (topic, partition), (nxt, hw) in offsets.items():
            self.status.lag[f"{topic}:{partition}"] = max(hw - nxt, 0)
        self._commit_to_kafka(offsets)
        return wants_check

    def _set_aside(self, span: Span, error: BaseException) -> None:
        """Records an undecodable offset range with its reason, stores its end as the offset,
        seeks past it."""
        assert self._consumer is not None
        self._position = f"{span.topic}:{span.partition}:{span.first}"
        reason = why(error)
        tp = TopicPartition(span.topic, span.partition)
        highwater = self._highwater(tp, span.last + 1)
        if (
            span.last >= highwater
        ):  # a corrupt header can claim any range: never skip what is not there yet
            span = replace(span, last=max(span.first, highwater - 1))
        offsets = {(span.topic, span.partition): (span.last + 1, max(highwater, span.last + 1))}
        log.error(
            "%s: set aside %s (%d messages): %s",
            self.handler.group,
            span.source,
            span.count,
            reason,
        )
        own = getattr(self.handler, "undecodable", None)
        with self.db.transaction() as cur:
            if own is not None:
                own(cur, span, reason)
            else:
                park_span(cur, self.handler.group, span, reason)
            save_offsets(cur, self.handler.group, self.status.life or "", offsets)
        self.status.undecodable += span.count
        self.status.lag[f"{span.topic}:{span.partition}"] = max(highwater - span.last - 1, 0)
        self._consumer.seek(tp, span.last + 1)
        self._commit_to_kafka(offsets)

    def _park(self, cur: Any, record: Any, error: BaseException) -> None:
        """A message that fails alone: the handler's own park, else a parked-messages row."""
        log.error(
            "%s: parked %s:%s:%s: %s",
            self.handler.group,
            record.topic,
            record.partition,
            record.offset,
            reason_of(error),
        )
        self.status.parked += 1
        own = getattr(self.handler, "park", None)
        if own is None:
            park_record(cur, self.handler.group, record, error)
            return

        def fallback(_: Any, failure: BaseException) -> None:
            # The handler's own way failed on the data too (say, a dead letter too large to send).
            park_record(
                cur,
                self.handler.group,
                record,
                f"{reason_of(error)}; its own park: {reason_of(failure)}",
            )

        isolate(cur, [record], lambda _: own(cur, record, error), fallback)

    def _highwater(self, tp: TopicPartition, fallback: int) -> int:
        assert self._consumer is not None
        found = self._consumer.highwater(tp)
        return int(found) if found is not None else fallback

    def _commit_to_kafka(self, offsets: dict[tuple[str, int], tuple[int, int]]) -> None:
        # Only for tools that read group offsets; our own truth is in the database.
        assert self._consumer is not None
        try:
            self._consumer.commit_async(
                {
                    TopicPartition(t, p): OffsetAndMetadata(nxt, "", -1)
                    for (t, p), (nxt, _) in offsets.items()
                }
            )
        except Exception as error:  # noqa: BLE001
            log.debug("group offset commit skipped: %s", error)

    def _close(self) -> None:
        self.status.running = False
        if self._consumer is not None:
            try:
                self._consumer.close(autocommit=False, timeout_ms=2000)
            except Exception as error:  # noqa: BLE001 - a broken client is dropped either way
                log.debug("%s: close: %s", self.handler.group, error)
            self._consumer = None


def park_record(cur: Any, consumer: str, record: Any, error: BaseException | str) -> None:
    """Parks a Kafka message under its key and offset (no aggregate version is known)."""
    key = (record.key or b"").decode("utf-8", "replace")
    reason = error if isinstance(error, str) else reason_of(error)
    ParkedView().park(
        cur,
        consumer,
        key,
        record.offset,
        f"{record.topic}:{record.partition}:{record.offset}",
        reason,
        record.value,
    )


def park_span(cur: Any, consumer: str, span: Span, reason: str) -> None:
    """Parks an undecodable offset range under its partition and first offset
    (no payload was read)."""
    ParkedView().park(
        cur, consumer, f"{span.topic}:{span.partition}", span.first, span.source, reason, None
    )
