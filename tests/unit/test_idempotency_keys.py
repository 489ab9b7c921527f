"""Derived aggregate ids and request digests: the pure parts of Idempotency-Key."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing import persistence

from adapters.http.errors import is_unavailable
from adapters.http.idempotency import request_digest
from aggregates.goal import Goal
from aggregates.ids import derived_ids, new_id
from engine.settings import Settings

GOAL: dict[str, Any] = {
    "agent_id": "a",
    "team_id": "t",
    "title": "x",
    "kpi": "manual",
    "target": 1.0,
    "direction": "at_least",
    "period_start": "2026-10-01",
    "period_end": "2026-12-31",
    "weight": 1.0,
    "description": "",
    "actor": "admin:alice",
}


def test_under_the_same_seed_new_aggregates_get_the_same_ids_in_order() -> None:
    with derived_ids("admin:alice\nk"):
        first = [new_id(), new_id()]
    with derived_ids("admin:alice\nk"):
        again = [new_id(), new_id()]
    assert first == again and first[0] != first[1]


def test_another_caller_or_key_gets_other_ids_and_no_seed_random_ones() -> None:
    with derived_ids("admin:alice\nk"):
        mine = new_id()
    with derived_ids("manager:bob\nk"):
        theirs = new_id()
    assert len({mine, theirs, new_id(), new_id()}) == 4


def test_a_goal_created_under_a_seed_takes_the_derived_id() -> None:
    from datetime import date

    fields: dict[str, Any] = {
        **GOAL,
        "period_start": date(2026, 10, 1),
        "period_end": date(2026, 12, 31),
    }
    with derived_ids("s"):
        expected = new_id()
    with derived_ids("s"):
        assert Goal(**fields).id == expected


def test_json_bodies_compare_by_content_not_spacing_or_order() -> None:
    a = request_digest("POST", "/v1/goals", "", b'{"a": 1, "b": [1, 2]}')
    b = request_digest("POST", "/v1/goals", "", b'{"b":[1,2],"a":1}')
    assert a == b
    assert a != request_digest("POST", "/v1/goals", "", b'{"a": 2, "b": [1, 2]}')
    assert a != request_digest("POST", "/v1/check-ins", "", b'{"a": 1, "b": [1, 2]}')
    assert request_digest("POST", "/x", "", b"not json") != request_digest(
        "POST", "/x", "", b"not json!"
    )


def test_an_unreachable_database_is_a_fault_but_a_missing_table_is_a_mistake() -> None:
    assert is_unavailable(psycopg.OperationalError("connection refused"))
    assert is_unavailable(persistence.OperationalError("couldn't get a connection after 1.00 sec"))
    assert is_unavailable(sqlite3.OperationalError("database is locked"))
    assert not is_unavailable(sqlite3.OperationalError("no such table: goals"))
    assert not is_unavailable(ValueError("bad"))


def test_the_event_store_gets_bounded_waits_and_no_library_retries(tmp_path: Path) -> None:
    env = Settings(
        data_dir=tmp_path, database_url="postgresql://u@h:5432/db", db_pool_timeout_seconds=1.5
    ).eventsourcing_env()
    assert env["POSTGRES_CONNECT_TIMEOUT"] == "2" and env["POSTGRES_PRE_PING"] == "y"
    assert env["PERFLEDGER_POOL_TIMEOUT"] == "1.5"
    assert env["PERSISTENCE_MODULE"] == "engine.event_store:Factory"


def test_a_multipart_retry_has_the_same_digest_whatever_its_boundary() -> None:
    def form(boundary: str, content: bytes) -> tuple[bytes, str]:
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="teams"; '
                'filename="teams.csv"\r\n\r\n'
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return body, f"multipart/form-data; boundary={boundary}"

    first = request_digest("POST", "/v1/roster/import", "", *form("a1b2", b"team_id\n"))
    retry = request_digest("POST", "/v1/roster/import", "", *form("c3d4e5", b"team_id\n"))
    other = request_digest("POST", "/v1/roster/import", "", *form("c3d4e5", b"team_id,x\n"))
    assert first == retry != other
