"""The shared consumer loop: a message that cannot be applied is parked and the rest commits;
an infrastructure fault is retried, counted, and makes /readyz name the stuck consumer."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from adapters.kafka.broker import EmbeddedBroker
from adapters.kafka.client import topics_of
from adapters.kafka.consumer import ConsumerLoop
from adapters.sql.database import Cursor
from tests.support import Pipeline, make_settings, token, wait_until

ADMIN = token("admin", "alice")


class Counting:
    """A handler that stores each message's number; it fails like a store when told to."""

    def __init__(self, topic: str) -> None:
        self.group = f"{topic}.counting"
        self.topics: tuple[str, ...] = (topic,)
        self.infrastructure_down = threading.Event()

    def apply(self, cur: Cursor, records: Sequence[Any]) -> bool:
        if self.infrastructure_down.is_set():
            raise sqlite3.OperationalError("database is locked")
        cur.executemany("INSERT INTO counted (n) VALUES (?)", [(int(r.value),) for r in records])
        return False


@pytest.fixture
def pipeline(tmp_path: Path, database_url: str, broker: EmbeddedBroker) -> Iterator[Pipeline]:
    running = Pipeline(
        make_settings(
            tmp_path,
            database_url,
            broker.bootstrap,
            stuck_after_seconds=1.0,
            retry_backoff_max_seconds=0.5,
        )
    )
    with running.container.db.transaction() as cur:
        cur.execute("CREATE TABLE counted (n BIGINT PRIMARY KEY)")
    try:
        yield running
    finally:
        running.close()


def run_loop(
    pipeline: Pipeline, handler: Counting
) -> tuple[ConsumerLoop[Counting], threading.Event, threading.Thread]:
    container = pipeline.container
    loop = container.consumer_loop(handler)
    stop = threading.Event()
    thread = threading.Thread(target=loop.run, args=(stop,), daemon=True)
    thread.start()
    return loop, stop, thread


def one_partition_topic(pipeline: Pipeline) -> str:
    """A topic of this test alone with one partition (the test's own dead-letter topic serves)."""
    return topics_of(pipeline.settings).telephony_dlq


def send(pipeline: Pipeline, topic: str, values: list[bytes]) -> None:
    publisher = pipeline.container.publisher()
    try:
        publisher.publish(topic, [(b"k", value) for value in values])
    finally:
        publisher.close()


def counted(pipeline: Pipeline) -> list[int]:
    return [int(r["n"]) for r in pipeline.container.db.query("SELECT n FROM counted ORDER BY n")]


def unready(api: Any) -> Any:
    response = api.get("/readyz")
    return response if response.status_code == 503 else None


def metric(text: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return None


def test_a_message_that_cannot_apply_is_parked_with_its_reason_and_the_rest_of_the_batch_commits(
    pipeline: Pipeline,
) -> None:
    topic = one_partition_topic(pipeline)
    handler = Counting(topic)
    # "boom" fails in the handler (ValueError); 10**20 fails in the store: SQLite's
    # "Python int too large to convert to SQLite INTEGER", PostgreSQL's bigint out of range.
    send(pipeline, topic, [b"1", b"2", b"boom", b"4", str(10**20).encode(), b"6"])
    loop, stop, thread = run_loop(pipeline, handler)
    try:
        wait_until(lambda: counted(pipeline) == [1, 2, 4, 6], timeout=30)
        send(pipeline, topic, [b"7"])
        wait_until(lambda: counted(pipeline) == [1, 2, 4, 6, 7], timeout=30)
    finally:
        stop.set()
        thread.join(timeout=20)
    parked = pipeline.container.db.query(
        "SELECT consumer, source, reason, digest FROM parked_events ORDER BY version"
    )
    assert [p["consumer"] for p in parked] == [handler.group] * 2
    assert [p["source"] for p in parked] == [f"{topic}:0:2", f"{topic}:0:4"]
    assert parked[0]["reason"].startswith("ValueError: invalid literal for int()")
    assert parked[1]["reason"].split(":")[0] in (
        "OverflowError",
        "NumericValueOutOfRange",
        "DataError",
    )
    assert all(len(p["digest"]) == 64 for p in parked)
    offsets = pipeline.container.db.query(
        "SELECT next_offset FROM consumer_offsets WHERE consumer = ?", (handler.group,)
    )
    assert [int(o["next_offset"]) for o in offsets] == [7]
    assert loop.status.parked == 2 and loop.status.retries == 0
    client = pipeline.client()
    listed = client.get("/v1/admin/parked", headers=ADMIN).json()
    assert listed["counts"] == {handler.group: 2} and len(listed["items"]) == 2
    assert client.get("/v1/admin/parked", headers=token("agent", "a1")).status_code == 403
    assert (
        metric(client.get("/metrics").text, "perfledger_parked_events", consumer=handler.group) == 2
    )
    assert client.get("/readyz").json()["parked"] == {handler.group: 2}


def test_an_infra_fault_is_retried_counted_and_readyz_names_the_stuck_consumer_in_any_process(
    pipeline: Pipeline,
    tmp_path: Path,
) -> None:
    topic = one_partition_topic(pipeline)
    handler = Counting(topic)
    handler.infrastructure_down.set()
    send(pipeline, topic, [b"1", b"2"])
    loop, stop, thread = run_loop(pipeline, handler)
    # The API of another process: its own board, the same database.
    other = Pipeline(pipeline.settings.model_copy(update={"data_dir": tmp_path / "other"}))
    try:
        client, elsewhere = pipeline.client(), other.client()
        for api in (client, elsewhere):
            answer = wait_until(lambda api=api: unready(api), timeout=30)  # type: ignore[misc]
            body = answer.json()
            assert [s["component"] for s in body["stuck"]] == [handler.group]
            assert body["stuck"][0]["position"] == f"{topic}:0:0"
            assert (
                "database is locked" in body["stuck"][0]["reason"]
                and handler.group in body["reason"]
            )
        assert counted(pipeline) == [] and loop.status.parked == 0  # retried, never parked
        retries = metric(
            client.get("/metrics").text,
            "perfledger_component_retries_total",
            component=handler.group,
        )
        assert retries is not None and retries >= 1
        handler.infrastructure_down.clear()
        wait_until(lambda: counted(pipeline) == [1, 2], timeout=30)
        wait_until(lambda: client.get("/readyz").status_code == 200, timeout=10)
        wait_until(lambda: elsewhere.get("/readyz").status_code == 200, timeout=10)
    finally:
        stop.set()
        thread.join(timeout=20)
        other.close()


def test_readyz_names_a_stuck_worker_at_once_even_while_the_database_does_not_answer(
    postgres_url: str,
    tmp_path: Path,
) -> None:
    import psycopg

    pipeline = Pipeline(make_settings(tmp_path, postgres_url, None, stuck_after_seconds=0.1))
    try:
        board = pipeline.container.health
        key = board.register("perfledger.projector")
        board.failed(key, "perfledger.events:0:5", "OperationalError: connection lost")
        wait_until(lambda: board.stuck(0.1))
        client, answers = pipeline.client(), []
        with psycopg.connect(postgres_url) as blocker:
            # Every readiness query about positions would now wait for this transaction.
            blocker.execute("LOCK TABLE relay_position, consumer_offsets IN ACCESS EXCLUSIVE MODE")
            asking = threading.Thread(
                target=lambda: answers.append(client.get("/readyz")), daemon=True
            )
            asking.start()
            asking.join(timeout=20)
            answered_while_locked = bool(answers)
            blocker.rollback()
        asking.join(timeout=20)
        assert answered_while_locked
        assert answers[0].status_code == 503
        assert [s["component"] for s in answers[0].json()["stuck"]] == ["perfledger.projector"]
    finally:
        pipeline.close()


def test_a_telephony_event_the_kpi_store_cannot_hold_is_dead_lettered_and_later_events_count(
    pipeline: Pipeline,
) -> None:
    import json

    from adapters.sql.ingest_counts import counter_totals as ingest_counters
    from tests.integration.test_telephony_ingest import dead_letters, produce

    def call(n: int, talk: float) -> tuple[bytes, bytes]:
        event = {
            "event_id": f"00000000-0000-4000-8000-{n:012d}",
            "type": "call.completed",
            "agent_id": "agent-1",
            "team_id": "team-a",
            "occurred_at": "2026-10-01T10:00:00Z",
            "call_id": f"c{n}",
            "talk_seconds": talk,
            "hold_seconds": 0,
            "acw_seconds": 0,
            "transferred": False,
            "resolved_first_contact": True,
        }
        return b"agent-1", json.dumps(event).encode()

    pipeline.start("ingestor")
    topics = topics_of(pipeline.settings)
    # 1e16 s: "Python int too large to convert to SQLite INTEGER", bigint out of range on PostgreSQL
    # (or refused by validation at the door): either way dead-lettered, never retried forever.
    produce(
        pipeline.settings.kafka_bootstrap or "",
        topics.telephony,
        [call(1, 1e16), call(2, 60), call(3, 90)],
    )

    def received(count: int) -> dict[str, int]:
        found = ingest_counters(pipeline.container.db)
        return found if found.get("received") == count else {}

    counters = wait_until(lambda: received(3), timeout=30)
    assert counters["accepted"] == 2 and counters["dead_lettered"] == 1
    (letter,) = dead_letters(pipeline.settings.kafka_bootstrap or "", topics.telephony_dlq, 1)
    assert json.loads(letter.value)["event_id"].endswith("000000000001")
    assert dict(letter.headers)["reason"]
