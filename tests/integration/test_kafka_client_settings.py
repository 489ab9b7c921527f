"""The default client settings (PLAINTEXT, replication 1, min.insync.replicas 1) on the real
protocol."""

from __future__ import annotations

from pathlib import Path

from kafka import TopicPartition

from adapters.kafka.broker import EmbeddedBroker
from adapters.kafka.client import admin, consumer, ensure_topics, producer, topics_of
from tests.support import make_settings, wait_until


def test_topics_created_and_a_record_round_trips_with_the_default_security(
    tmp_path: Path, broker: EmbeddedBroker
) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'pl.db'}", broker.bootstrap)
    ensure_topics(broker.bootstrap, settings)
    ensure_topics(broker.bootstrap, settings)  # a second start finds them and leaves them be
    topics = topics_of(settings)
    client = admin(settings, broker.bootstrap)
    try:
        assert {topics.events, topics.telephony, topics.telephony_dlq, topics.life} <= set(
            client.list_topics()
        )
    finally:
        client.close()
    writer = producer(settings, broker.bootstrap)
    try:
        writer.send(topics.telephony_dlq, key=b"k", value=b"v", partition=0).get(10)
    finally:
        writer.close(timeout=2)
    reader = consumer(settings, broker.bootstrap, None)
    try:
        reader.assign([TopicPartition(topics.telephony_dlq, 0)])
        polled = wait_until(
            lambda: [r for rs in reader.poll(timeout_ms=200).values() for r in rs], timeout=20
        )
        assert [(r.key, r.value) for r in polled] == [(b"k", b"v")]
    finally:
        reader.close()
