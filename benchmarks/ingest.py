"""Ingest end to end: telephony messages in Kafka until their KPI rows are committed,
against a raw kafka-python consumer reading and parsing the same messages from the same broker."""

from __future__ import annotations

import json
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from pydantic import SecretStr

from adapters.kafka.client import ensure_topics, topics_of
from adapters.sql.ingest_counts import counter_totals
from adapters.telephony.ingestor import TelephonyIngestor
from benchmarks import ingest_roster
from engine.bootstrap import build
from engine.settings import Settings
from engine.simulate import simulate

AGENTS, TEAMS = 500, 25


def produce(bootstrap: str, topic: str, count: int) -> None:
    producer = KafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=20, batch_size=512 * 1024, compression_type=None
    )
    for key, value in simulate(agents=AGENTS, teams=TEAMS, rate=count, duration=1, seed=5):
        producer.send(topic, key=key, value=value)
    producer.flush(300)
    producer.close()


def raw_consume_rate(bootstrap: str, topic: str, count: int, partitions: int) -> float:
    """Messages per second a bare kafka-python consumer reads and JSON-parses."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        fetch_max_wait_ms=50,
        max_poll_records=5000,
    )
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    seen, started = 0, time.perf_counter()
    while seen < count:
        for records in consumer.poll(timeout_ms=500).values():
            for record in records:
                json.loads(record.value)
            seen += len(records)
    elapsed = time.perf_counter() - started
    consumer.close()
    return seen / elapsed


def ingest_rate(settings: Settings, bootstrap: str, count: int) -> dict[str, float]:
    """Events per second through the ingestor into committed KPI rows (SQLite)."""
    container = build(settings, bootstrap)
    # Every event attributed by the roster, its days cut in its team's zone.
    ingest_roster.seed(container, AGENTS, TEAMS)
    topics = topics_of(settings)
    handler = TelephonyIngestor(
        topics.telephony,
        topics.telephony_dlq,
        topics.group("bench.ingestor"),
        container.publisher(),
        roster=container.roster,
    )
    loop = container.consumer_loop(handler)
    stop = threading.Event()
    thread = threading.Thread(target=loop.run, args=(stop,), daemon=True)
    started = time.perf_counter()
    thread.start()
    first: float | None = None
    while True:
        done = counter_totals(container.db).get("received", 0)
        if done and first is None:
            first = time.perf_counter()
            first_done = done
        if done >= count:
            break
        time.sleep(0.02)
    ended = time.perf_counter()
    stop.set()
    thread.join(30)
    container.close()
    assert first is not None
    return {
        "total": count / (ended - started),
        "steady": (count - first_done) / max(ended - first, 1e-9),
    }


def ingest_rate_processes(settings: Settings, bootstrap: str, count: int, processes: int) -> float:
    """Events per second with several `perfledger up --only ingestor` processes in one group."""
    import os
    import subprocess
    import sys

    env = {**os.environ, **settings.as_environment()}
    container = build(settings, bootstrap)
    ingest_roster.seed(container, AGENTS, TEAMS)
    started = time.perf_counter()
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "engine.cli", "up", "--only", "ingestor"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(processes)
    ]
    try:
        while counter_totals(container.db).get("received", 0) < count:
            if all(worker.poll() is not None for worker in workers):
                raise RuntimeError("every ingestor process exited before the events were counted")
            time.sleep(0.02)
        return count / (time.perf_counter() - started)
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(30)
        container.close()


def run(bootstrap: str, count: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            kafka_bootstrap=bootstrap,
            kafka_topic_prefix="bench.",
            kafka_session_timeout_ms=2000,
            kafka_heartbeat_interval_ms=500,
            consumer_poll_records=5000,
            secret=SecretStr("bench-secret-0123456789"),
        )
        ensure_topics(bootstrap, settings)
        produce(bootstrap, topics_of(settings).telephony, count)
        raw = raw_consume_rate(
            bootstrap, topics_of(settings).telephony, count, settings.kafka_partitions
        )
        ours = ingest_rate(settings, bootstrap, count)
        two = ingest_rate_processes(
            settings.model_copy(
                update={"data_dir": Path(tmp) / "two", "kafka_topic_prefix": "bench."}
            ),
            bootstrap,
            count,
            2,
        )
    return {
        "events": count,
        "raw_consume_per_s": raw,
        "ingest_per_s": ours["total"],
        "ingest_steady_per_s": ours["steady"],
        "ratio": ours["total"] / raw,
        "steady_ratio": ours["steady"] / raw,
        "ingest_2_processes_per_s": two,
        "ratio_2_processes": two / raw,
    }
