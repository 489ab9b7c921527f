"""Telephony through the embedded broker into the KPI read model, checked against an oracle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from adapters.kafka.broker import EmbeddedBroker
from adapters.kafka.client import topics_of
from adapters.sql.ingest_counts import counter_totals as ingest_counters
from adapters.sql.rebuilder import rebuild
from adapters.telephony.dead_letters import MAX_PAYLOAD_BYTES, digest
from adapters.telephony.ingestor import decode_archived
from engine.simulate import simulate
from tests.integration.kpi_oracle import expected_kpis, valid_events
from tests.support import Pipeline, make_settings, token, wait_until

ADMIN = token("admin", "alice")


def produce(bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, batch_size=256 * 1024)
    try:
        for key, value in messages:
            producer.send(topic, key=key, value=value)
        producer.flush(60)
    finally:
        producer.close()


def dead_letters(bootstrap: str, topic: str, expected: int) -> list[Any]:
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
        found.extend(r for rs in consumer.poll(500).values() for r in rs)  # nothing more may come
    finally:
        consumer.close()
    return found


def assert_api_matches_oracle(client: Any, messages: list[bytes]) -> None:
    expected = expected_kpis(messages)
    assert expected, "the stream produced no valid events"
    for (scope, scope_id, kind), rows in expected.items():
        path = f"/v1/{'agents' if scope == 'agent' else 'teams'}/{scope_id}/kpis"
        response = client.get(path, params={"bucket": kind, "limit": 10000}, headers=ADMIN)
        assert response.status_code == 200, response.text
        got = {r.pop("start"): r for r in response.json()["rows"]}
        assert got == rows, f"{scope} {scope_id} {kind}"


@pytest.fixture
def stream() -> list[tuple[bytes, bytes]]:
    # bad_fraction 0.1: about 5% invalid messages and 5% exact duplicates
    return list(simulate(agents=40, teams=4, rate=20_000, duration=1, bad_fraction=0.1, seed=7))


def test_twenty_thousand_events_match_an_independent_recomputation(
    tmp_path: Path, database_url: str, broker: EmbeddedBroker, stream: list[tuple[bytes, bytes]]
) -> None:
    settings = make_settings(tmp_path, database_url, broker.bootstrap)
    pipeline = Pipeline(settings).start("ingestor")
    try:
        topics = topics_of(settings)
        produce(broker.bootstrap, topics.telephony, stream)
        wait_until(
            lambda: ingest_counters(pipeline.container.db).get("received", 0) >= len(stream),
            timeout=120,
        )
        values = [v for _, v in stream]
        events, invalid, duplicates = valid_events(values)
        counters = ingest_counters(pipeline.container.db)
        assert counters == {
            "received": len(stream),
            "accepted": len(events),
            "duplicates": duplicates,
            "dead_lettered": invalid,
        }
        assert invalid > 0.03 * len(stream) and duplicates > 0.03 * len(stream)
        assert_api_matches_oracle(pipeline.client(), values)
        letters = dead_letters(broker.bootstrap, topics.telephony_dlq, invalid)
        assert len(letters) == invalid
        # dead letters are cut to a publishable size; the digest proves the original
        assert sorted(r.value for r in letters) == sorted(
            v[:MAX_PAYLOAD_BYTES] for v in values if _invalid(v)
        )
        assert sorted(dict(r.headers)["original-sha256"] for r in letters) == sorted(
            digest(v).encode() for v in values if _invalid(v)
        )
        assert all(dict(r.headers)["reason"] for r in letters)
        pipeline.stop("ingestor")
        assert_rebuild_equals_live(pipeline)
    finally:
        pipeline.close()


def kpi_tables(pipeline: Pipeline) -> list[list[dict[str, Any]]]:
    db = pipeline.container.db
    return [
        db.query("SELECT * FROM kpi_sums ORDER BY scope, scope_id, bucket, start"),
        db.query("SELECT * FROM telephony_calls ORDER BY call_ref"),
        db.query("SELECT * FROM telephony_linked ORDER BY event_id"),
    ]


def assert_rebuild_equals_live(pipeline: Pipeline) -> None:
    live = kpi_tables(pipeline)
    seen: list[tuple[int, int]] = []
    outcome = rebuild(
        pipeline.container.db,
        pipeline.container.app,
        decode_archived,
        lambda _, done, total: seen.append((done, total)),
        projections=("kpi",),
    )
    assert kpi_tables(pipeline) == live and len(live[0]) > 100 and outcome.differences == []
    assert seen[-1][0] == seen[-1][1] > 0


def _invalid(raw: bytes) -> bool:
    from adapters.telephony.schema import InvalidTelephonyEvent, parse_message

    try:
        parse_message(raw)
    except InvalidTelephonyEvent:
        return True
    return False


def test_tombstones_and_garbage_are_dead_lettered_and_the_stream_goes_on(
    tmp_path: Path, broker: EmbeddedBroker
) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'g.db'}", broker.bootstrap)
    pipeline = Pipeline(settings).start("ingestor")
    try:
        good = list(simulate(agents=2, teams=1, rate=50, duration=1, seed=2))
        bad: list[tuple[bytes, bytes | None]] = [
            (b"a", None),
            (b"a", b""),
            (b"a", b"\x00\xff"),
            (b"a", b"[]"),
        ]
        produce(broker.bootstrap, topics_of(settings).telephony, [*bad, *good])  # type: ignore[list-item]
        wait_until(
            lambda: (
                ingest_counters(pipeline.container.db).get("received", 0) == len(bad) + len(good)
            ),
            timeout=60,
        )
        counters = ingest_counters(pipeline.container.db)
        assert counters["dead_lettered"] == len(bad) and counters["accepted"] == len(good)
    finally:
        pipeline.close()
