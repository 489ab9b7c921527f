"""An event the database refuses is dead-lettered with the reason; the rest of its poll is applied.

Real SQLite and PostgreSQL: the limits are opened wide so that a call of 1e16 seconds
passes validation and reaches the database, which cannot hold its milliseconds.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from adapters.sql.ingest_counts import counter_totals as ingest_counters
from adapters.telephony.bounds import Limits
from adapters.telephony.ingestor import TelephonyIngestor
from adapters.telephony.poison import is_poison
from engine.bootstrap import Container, build
from tests.support import make_settings

CALL = {
    "type": "call.completed",
    "agent_id": "agent-017",
    "team_id": "team-north",
    "occurred_at": "2026-10-05T09:14:03Z",
    "talk_seconds": 200.0,
    "hold_seconds": 0.0,
    "acw_seconds": 10.0,
    "transferred": False,
    "resolved_first_contact": True,
}
WIDE_OPEN = Limits(max_call_part_seconds=1e30)


class Letters:
    def __init__(self) -> None:
        self.sent: list[Any] = []

    def publish(self, topic: str, messages: Sequence[Any]) -> None:
        self.sent.extend(messages)

    def close(self) -> None:
        return None


@pytest.fixture
def container(tmp_path: Path, database_url: str) -> Iterator[Container]:
    built = build(make_settings(tmp_path, database_url, None), None)
    try:
        yield built
    finally:
        built.close()


def call(n: int, **changes: Any) -> bytes:
    return json.dumps(
        {**CALL, "event_id": f"3b7e2c1a-4f4e-4c39-9d0e-{n:012d}", "call_id": f"c-{n}", **changes}
    ).encode()


def ingest(container: Container, ingestor: TelephonyIngestor, values: list[bytes]) -> None:
    records = [
        SimpleNamespace(key=b"agent-017", value=v, topic="t", partition=0, offset=n, headers=[])
        for n, v in enumerate(values)
    ]
    with container.db.transaction() as cur:
        ingestor.apply(cur, ingestor.prepare(records))


def test_an_event_the_database_cannot_hold_is_dead_lettered_and_the_poll_goes_on(
    container: Container,
) -> None:
    letters = Letters()
    ingestor = TelephonyIngestor("t", "t.dlq", "g", letters, limits=WIDE_OPEN)
    ingest(container, ingestor, [call(1), call(2, talk_seconds=1e16), call(3)])
    assert ingest_counters(container.db) == {"received": 3, "accepted": 2, "dead_lettered": 1}
    (letter,) = letters.sent
    headers = dict(letter[2])
    assert headers["source"] == b"t:0:1"
    assert headers["reason"].startswith(b"message: could not be applied (")
    archived = container.db.query("SELECT event_id FROM telephony_archive ORDER BY event_id")
    assert [r["event_id"][-1] for r in archived] == ["1", "3"]
    (day,) = container.db.query(
        "SELECT calls FROM kpi_sums WHERE scope = 'agent' AND bucket = 'day'"
    )
    assert day["calls"] == 2
    # the next poll goes on as usual
    ingest(container, ingestor, [call(4)])
    assert ingest_counters(container.db)["accepted"] == 3


def test_sums_that_would_overflow_dead_letter_the_event_that_overflows(
    container: Container,
) -> None:
    if not container.db.is_postgres:
        pytest.skip(
            "SQLite turns an overflowing integer sum into a float instead of failing; "
            "the bounds prevent it"
        )
    letters = Letters()
    ingestor = TelephonyIngestor("t", "t.dlq", "g", letters, limits=WIDE_OPEN)
    ingest(container, ingestor, [call(n, talk_seconds=1e15) for n in range(10)])
    assert ingest_counters(container.db) == {"received": 10, "accepted": 9, "dead_lettered": 1}
    assert len(letters.sent) == 1


def test_only_faults_of_the_data_are_poison() -> None:
    import psycopg

    assert is_poison(OverflowError("Python int too large to convert to SQLite INTEGER"))
    assert is_poison(psycopg.errors.NumericValueOutOfRange("bigint out of range"))
    assert is_poison(psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes"))
    assert not is_poison(psycopg.OperationalError("connection lost"))
    assert not is_poison(sqlite3.OperationalError("database is locked"))
    assert not is_poison(ConnectionError("broker away"))


def test_calls_known_before_the_upgrade_are_known_to_the_survey_check(container: Container) -> None:
    from adapters.sql.schema import create_tables

    with container.db.transaction() as cur:
        cur.execute(
            "INSERT INTO telephony_calls (call_ref, occurred_at) VALUES (?, ?)",
            ("agent-017\x1fc-9", "2026-10-05T07:14:03+00:00"),
        )
        cur.execute("DELETE FROM telephony_call_agents")
    create_tables(container.db)  # what the first start of the new version does
    assert container.db.query("SELECT call_id, agent_id FROM telephony_call_agents") == [
        {"call_id": "c-9", "agent_id": "agent-017"}
    ]


def test_an_upgrade_gives_call_legs_a_team_and_indexes_stored_surveys_by_call(
    container: Container,
) -> None:
    from adapters.sql.schema import create_tables

    with container.db.transaction() as cur:  # the tables as the previous version made them
        cur.execute("DROP TABLE telephony_call_agents")
        cur.execute("DROP TABLE telephony_linked_calls")
        cur.execute(
            "CREATE TABLE telephony_call_agents (call_id TEXT NOT NULL, agent_id TEXT NOT NULL, "
            "PRIMARY KEY (call_id, agent_id))"
        )
        cur.execute(
            "INSERT INTO telephony_call_agents (call_id, agent_id) VALUES ('c-9', 'agent-017')"
        )
        cur.execute(
            "INSERT INTO telephony_linked (event_id, call_ref, placed_at) VALUES (?, ?, ?)",
            ("s-1", "agent-099\x1fc-9", "2026-10-05T07:14:03+00:00"),
        )
    create_tables(container.db)  # what the first start of the new version does
    assert container.db.query("SELECT call_id, agent_id, team_id FROM telephony_call_agents") == [
        {"call_id": "c-9", "agent_id": "agent-017", "team_id": ""}
    ]
    assert container.db.query("SELECT call_id, event_id FROM telephony_linked_calls") == [
        {"call_id": "c-9", "event_id": "s-1"}
    ]
