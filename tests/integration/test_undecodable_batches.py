"""A fetched batch it cannot decode is set aside by offset range with the reason; the rest counts.

Through the embedded broker, on SQLite and PostgreSQL. The embedded broker keeps batches
decompressed, so the consumer of this test is made to fail on one batch as a consumer
without the lz4 library fails on an lz4 batch: kafka-python's batch decoder raises the
same UnsupportedCodecError for the batch holding the marked events, in `poll()`, at the
same place. Everything after it (the loop, the dead letter, the offsets) is the real thing.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import UnsupportedCodecError
from kafka.record.default_records import DefaultRecordBatch

from adapters.kafka.broker import EmbeddedBroker
from adapters.kafka.client import topics_of
from adapters.kafka.consumer import ConsumerLoop
from adapters.sql.database import Cursor
from adapters.sql.ingest_counts import counter_totals as ingest_counters
from adapters.sql.ingest_counts import deliveries
from tests.support import Pipeline, make_settings, wait_until

MARK = b"undecodable-batch"


@pytest.fixture
def lz4_missing_for_marked_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    decode = DefaultRecordBatch._maybe_uncompress

    def without_lz4(batch: DefaultRecordBatch) -> None:
        if MARK in bytes(batch._buffer):
            raise UnsupportedCodecError("Libraries for lz4 compression codec not found")
        decode(batch)

    monkeypatch.setattr(DefaultRecordBatch, "_maybe_uncompress", without_lz4)


@pytest.fixture
def pipeline(tmp_path: Path, database_url: str, broker: EmbeddedBroker) -> Iterator[Pipeline]:
    running = Pipeline(make_settings(tmp_path, database_url, broker.bootstrap))
    try:
        yield running
    finally:
        running.close()


def run(loop: ConsumerLoop[Any]) -> tuple[threading.Event, threading.Thread]:
    stop = threading.Event()
    thread = threading.Thread(target=loop.run, args=(stop,), daemon=True)
    thread.start()
    return stop, thread


def call(n: int, marked: bool = False) -> bytes:
    return json.dumps(
        {
            "event_id": str(uuid.uuid4()),
            "type": "call.completed",
            "agent_id": "agent-1",
            "team_id": "team-a",
            "occurred_at": "2026-10-05T09:14:03Z",
            "call_id": (MARK.decode() if marked else "c") + f"-{n}",
            "talk_seconds": 100.0,
            "hold_seconds": 0.0,
            "acw_seconds": 10.0,
            "transferred": False,
            "resolved_first_contact": True,
        }
    ).encode()


def produce_batches(bootstrap: str, topic: str, *batches: Sequence[bytes]) -> None:
    """Each group of values as one batch, in order, on partition 0."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=50)
    try:
        for values in batches:
            for value in values:
                producer.send(topic, key=b"agent-1", value=value, partition=0)
            producer.flush(30)
    finally:
        producer.close()


def read_all(bootstrap: str, topic: str, expected: int) -> list[Any]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    found: list[Any] = []
    try:

        def enough() -> bool:
            found.extend(r for rs in consumer.poll(200).values() for r in rs)
            return len(found) >= expected

        wait_until(enough, timeout=30)
    finally:
        consumer.close()
    return found


@pytest.mark.usefixtures("lz4_missing_for_marked_batches")
def test_an_undecodable_batch_is_dead_lettered_by_offset_range_and_later_events_count(
    pipeline: Pipeline, broker: EmbeddedBroker
) -> None:
    topics = topics_of(pipeline.settings)
    produce_batches(
        broker.bootstrap,
        topics.telephony,
        [call(n) for n in range(3)],
        [call(n, marked=True) for n in range(4)],
        [call(n) for n in range(3)],
    )
    loop = pipeline.container.ingestor()
    stop, thread = run(loop)
    db = pipeline.container.db
    try:
        wait_until(lambda: ingest_counters(db).get("received", 0) >= 10, timeout=60)
        assert ingest_counters(db) == {"received": 10, "accepted": 6, "dead_lettered": 4}
        assert loop.status.undecodable == 4
        assert loop.status.retries == 0  # set aside at once, never retried
    finally:
        stop.set()
        thread.join(timeout=20)
    (letter,) = read_all(broker.bootstrap, topics.telephony_dlq, 1)
    headers = {name: value.decode() for name, value in letter.headers}
    assert headers["source"] == f"{topics.telephony}:0:3-6"
    assert (headers["first-offset"], headers["last-offset"], headers["messages"]) == ("3", "6", "4")
    assert headers["reason"] == (
        "batch could not be decoded: UnsupportedCodecError: "
        "Libraries for lz4 compression codec not found"
    )
    assert letter.value == b""
    (day,) = [d for d in db.query("SELECT DISTINCT day FROM ingest_deliveries")]
    report = deliveries(db, day["day"])
    assert report["total"] == {"received": 10, "accepted": 6, "duplicates": 0, "dead_lettered": 4}
    # The offset stored is past everything: a restarted ingestor does not meet the batch again.
    (stored,) = db.query(
        "SELECT next_offset FROM consumer_offsets WHERE consumer = ? AND partition_id = 0",
        (loop.handler.group,),
    )
    assert stored["next_offset"] == 10


class Counting:
    """A handler without its own way to set a batch aside: the loop parks the range."""

    def __init__(self, topic: str) -> None:
        self.group = f"{topic}.counting"
        self.topics: tuple[str, ...] = (topic,)
        self.seen: list[bytes] = []

    def apply(self, cur: Cursor, records: Sequence[Any]) -> bool:
        self.seen.extend(r.value for r in records)
        return False


@pytest.mark.usefixtures("lz4_missing_for_marked_batches")
def test_any_consumer_parks_an_undecodable_range_and_goes_on(
    pipeline: Pipeline, broker: EmbeddedBroker
) -> None:
    topic = topics_of(pipeline.settings).telephony_dlq  # a topic of this test alone, one partition
    produce_batches(broker.bootstrap, topic, [b"1", b"2"], [MARK + b"3", MARK + b"4"], [b"5"])
    handler = Counting(topic)
    container = pipeline.container
    loop = container.consumer_loop(handler)
    stop, thread = run(loop)
    try:
        wait_until(lambda: handler.seen == [b"1", b"2", b"5"], timeout=60)
    finally:
        stop.set()
        thread.join(timeout=20)
    (parked,) = container.db.query(
        "SELECT consumer, aggregate_id, version, source, reason FROM parked_events"
    )
    assert parked == {
        "consumer": handler.group,
        "aggregate_id": f"{topic}:0",
        "version": 2,
        "source": f"{topic}:0:2-3",
        "reason": "batch could not be decoded: UnsupportedCodecError: "
        "Libraries for lz4 compression codec not found",
    }
    assert loop.status.undecodable == 2
