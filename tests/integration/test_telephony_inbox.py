"""The telephony inbox on SQLite and PostgreSQL: durable before acknowledged, published again into
a new life."""

from __future__ import annotations

import json
from pathlib import Path

from adapters.kafka.broker import EmbeddedBroker
from adapters.sql.ingest_counts import counter_totals as ingest_counters
from tests.e2e.test_telephony_durability import calls
from tests.support import Pipeline, make_settings, wait_until


def inbox_rows(pipeline: Pipeline) -> dict[str, str | None]:
    rows = pipeline.container.db.query("SELECT event_id, life FROM telephony_inbox")
    return {r["event_id"]: r["life"] for r in rows}


def test_accepted_events_wait_in_the_inbox_until_archived_and_a_lost_life_is_published_again(
    tmp_path: Path,
    broker: EmbeddedBroker,
    database_url: str,
) -> None:
    pipeline = Pipeline(make_settings(tmp_path, database_url, broker.bootstrap))
    try:
        inbox = pipeline.container.inbox
        events = calls(50)
        accepted = [(e["event_id"], e["agent_id"].encode(), json.dumps(e).encode()) for e in events]
        inbox.accept(accepted, {"received": 1, "dead_lettered": 1})
        life = inbox.life.current()
        assert inbox_rows(pipeline) == {e["event_id"]: life for e in events}
        # The broker that held them is gone: the rows name a life that is not the current one.
        with pipeline.container.db.transaction() as cur:
            cur.execute("UPDATE telephony_inbox SET life = 'an-earlier-life'")
        assert inbox.step() == 50
        assert set(inbox_rows(pipeline).values()) == {life}
        assert inbox.step() == 0  # published into this life already
        pipeline.start("ingestor")
        wait_until(
            lambda: ingest_counters(pipeline.container.db).get("received") == 101, timeout=60
        )
        assert ingest_counters(pipeline.container.db) == {
            "received": 101,
            "accepted": 50,
            "duplicates": 50,
            "dead_lettered": 1,
        }
        inbox.step()
        assert inbox_rows(pipeline) == {}
    finally:
        pipeline.close()
        pipeline.container.inbox.close()
