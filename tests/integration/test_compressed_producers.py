"""Producers of two client libraries, with every compression codec, are all read.

kafka-python and confluent-kafka (librdkafka, the usual non-Java client) each send a few
telephony events compressed with none, gzip, snappy, lz4 and zstd through the embedded
broker; the ingestor archives and counts every one. Domain events sent compressed reach
the events projector too. (The embedded broker keeps batches decompressed; that the
consumer decodes each codec is tests/unit/test_kafka_codecs.py.)
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaProducer

from adapters.kafka.broker import EmbeddedBroker
from adapters.kafka.client import topics_of
from adapters.sql.ingest_counts import counter_totals as ingest_counters
from aggregates.contract import encode, envelope_of
from tests.support import Pipeline, make_settings, token, wait_until

CODECS = ("none", "gzip", "snappy", "lz4", "zstd")
PER_COMBINATION = 3


def call(library: str, codec: str, n: int) -> tuple[bytes, bytes]:
    event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{library}/{codec}/{n}"))
    agent = f"agent-{library}-{codec}"
    return agent.encode(), json.dumps(
        {
            "event_id": event_id,
            "type": "call.completed",
            "agent_id": agent,
            "team_id": "team-codecs",
            "occurred_at": "2026-10-05T09:14:03Z",
            "call_id": f"c-{library}-{codec}-{n}",
            "talk_seconds": 100.0 + n,
            "hold_seconds": 0.0,
            "acw_seconds": 10.0,
            "transferred": False,
            "resolved_first_contact": True,
        }
    ).encode()


def produce_with_kafka_python(
    bootstrap: str, topic: str, codec: str, messages: list[tuple[bytes, bytes]]
) -> None:
    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        compression_type=None if codec == "none" else codec,
        linger_ms=20,
    )
    try:
        for key, value in messages:
            producer.send(topic, key=key, value=value)
        producer.flush(30)
    finally:
        producer.close()


def produce_with_confluent_kafka(
    bootstrap: str, topic: str, codec: str, messages: list[tuple[bytes, bytes]]
) -> None:
    import confluent_kafka

    failures: list[str] = []
    producer = confluent_kafka.Producer(
        {"bootstrap.servers": bootstrap, "compression.type": codec, "linger.ms": 20, "log_level": 3}
    )
    for key, value in messages:
        producer.produce(
            topic,
            key=key,
            value=value,
            on_delivery=lambda error, _: failures.append(str(error)) if error else None,
        )
    assert producer.flush(30) == 0, "librdkafka did not deliver everything"
    assert not failures, failures


PRODUCERS: dict[str, Callable[[str, str, str, list[tuple[bytes, bytes]]], None]] = {
    "kafka-python": produce_with_kafka_python,
    "confluent-kafka": produce_with_confluent_kafka,
}


@pytest.fixture
def pipeline(tmp_path: Path, database_url: str, broker: EmbeddedBroker) -> Iterator[Pipeline]:
    running = Pipeline(make_settings(tmp_path, database_url, broker.bootstrap)).start("ingestor")
    try:
        yield running
    finally:
        running.close()


def test_events_from_both_client_libraries_with_every_codec_are_counted(
    pipeline: Pipeline, broker: EmbeddedBroker
) -> None:
    topic = topics_of(pipeline.settings).telephony
    sent: dict[tuple[str, str], list[tuple[bytes, bytes]]] = {}
    for library, produce in PRODUCERS.items():
        for codec in CODECS:
            messages = sent[(library, codec)] = [
                call(library, codec, n) for n in range(PER_COMBINATION)
            ]
            produce(broker.bootstrap, topic, codec, messages)
    total = sum(len(messages) for messages in sent.values())
    db = pipeline.container.db
    wait_until(lambda: ingest_counters(db).get("received", 0) >= total, timeout=60)
    assert ingest_counters(db) == {"received": total, "accepted": total}
    archived = {
        row["agent_id"]: int(row["n"])
        for row in db.query(
            "SELECT agent_id, COUNT(*) AS n FROM telephony_archive GROUP BY agent_id"
        )
    }
    assert archived == {f"agent-{library}-{codec}": PER_COMBINATION for library, codec in sent}
    calls = {
        row["scope_id"]: int(row["calls"])
        for row in db.query(
            "SELECT scope_id, calls FROM kpi_sums WHERE scope = 'agent' AND bucket = 'day'"
        )
    }
    assert calls == {f"agent-{library}-{codec}": PER_COMBINATION for library, codec in sent}


GOAL = {
    "agent_id": "agent-1",
    "team_id": "team-a",
    "title": "Handle calls faster",
    "description": "",
    "kpi": "aht_seconds",
    "target": 300,
    "direction": "at_most",
    "period_start": "2026-10-01",
    "period_end": "2026-12-31",
    "weight": 1,
}
ADMIN = token("admin", "alice")


def stored_events(pipeline: Pipeline) -> list[tuple[bytes, bytes]]:
    """The store's events as the relay would publish them."""
    app = pipeline.container.app
    return [
        (envelope.id.encode(), encode(envelope))
        for envelope in (
            envelope_of(n.id, n.topic, app.event_as_dict(n))
            for n in app.recorder.select_notifications(1, 1000)
        )
    ]


def goal_version(client: Any, goal_id: str) -> int | None:
    response = client.get(f"/v1/goals/{goal_id}", headers=ADMIN)
    return int(response.json()["version"]) if response.status_code == 200 else None


@pytest.mark.parametrize("library", sorted(PRODUCERS))
def test_domain_events_sent_compressed_reach_the_events_projector(
    tmp_path: Path, database_url: str, broker: EmbeddedBroker, library: str
) -> None:
    running = Pipeline(make_settings(tmp_path, database_url, broker.bootstrap))
    try:
        client = running.client()
        goals = []
        for codec in CODECS:  # one goal per codec; the relay does not run, the events go by hand
            response = client.post(
                "/v1/goals", json={**GOAL, "title": f"goal sent with {codec}"}, headers=ADMIN
            )
            assert response.status_code == 201, response.text
            goals.append(response.json()["id"])
        messages = stored_events(running)
        topic = topics_of(running.settings).events
        for codec, goal_id in zip(CODECS, goals, strict=True):
            PRODUCERS[library](
                broker.bootstrap, topic, codec, [m for m in messages if m[0] == goal_id.encode()]
            )
        running.start("projector")
        wait_until(lambda: all(goal_version(client, goal_id) == 1 for goal_id in goals), timeout=60)
        titles = {
            client.get(f"/v1/goals/{goal_id}", headers=ADMIN).json()["title"] for goal_id in goals
        }
        assert titles == {f"goal sent with {codec}" for codec in CODECS}
    finally:
        running.close()
