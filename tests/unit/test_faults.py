"""Which faults park a message and which are retried; the health board that /readyz reads."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from kafka.errors import KafkaConnectionError, KafkaTimeoutError, MessageSizeTooLargeError
from pydantic import BaseModel

from aggregates.faults import is_data_fault, reason_of
from engine.health import Backoff, HealthBoard, is_stale, merge


class Strict(BaseModel):
    n: int


def validation_error() -> Exception:
    try:
        Strict.model_validate({"n": "x"})
    except Exception as error:  # noqa: BLE001
        return error
    raise AssertionError("no error")


@pytest.mark.parametrize(
    "error",
    [
        psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes"),
        psycopg.errors.NumericValueOutOfRange("bigint out of range"),
        psycopg.errors.NotNullViolation("null value in column"),
        OverflowError("Python int too large to convert to SQLite INTEGER"),
        sqlite3.IntegrityError("NOT NULL constraint failed"),
        ValueError("bad value"),
        TypeError("unsupported type"),
        KeyError("after"),
        MessageSizeTooLargeError("too large"),
    ],
)
def test_faults_of_the_data_being_applied_are_data_faults(error: Exception) -> None:
    assert is_data_fault(error)


@pytest.mark.parametrize(
    "error",
    [
        sqlite3.OperationalError("database is locked"),
        psycopg.OperationalError("connection refused"),
        psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
        psycopg.InterfaceError("the connection is closed"),
        ConnectionRefusedError(111, "refused"),
        TimeoutError("timed out"),
        KafkaTimeoutError(),
        KafkaConnectionError("lost"),
        RuntimeError("a bug nobody classified"),
    ],
)
def test_infrastructure_and_unknown_faults_are_retried_not_parked(error: Exception) -> None:
    assert not is_data_fault(error)


def test_a_pydantic_validation_error_is_a_data_fault_and_a_reason_never_carries_a_nul() -> None:
    assert is_data_fault(validation_error())
    reason = reason_of(ValueError("ag\x00ent" + "x" * 5000))
    assert "\x00" not in reason and "ag\\x00ent" in reason and len(reason) <= 1000


def test_backoff_doubles_up_to_its_cap_and_starts_again_after_a_reset() -> None:
    backoff = Backoff(first=0.2, cap=1.0)
    assert [backoff.next() for _ in range(5)] == [0.2, 0.4, 0.8, 1.0, 1.0]
    backoff.reset()
    assert backoff.next() == 0.2


def test_the_board_counts_retries_keeps_the_first_failure_time_and_forgets_it_on_progress() -> None:
    stored: list[object] = []
    board = HealthBoard(sink=stored.append)
    key = board.register("perfledger.projector")
    first = board.failed(key, "events:0:10", "OperationalError: database is locked")
    second = board.failed(key, "events:1:4", "OperationalError: database is locked")
    assert second.retries == 2 and second.since == first.since and second.position == "events:1:4"
    assert board.stuck(threshold=3600) == []
    assert [e.instance for e in board.stuck(threshold=-1)] == [key]
    board.recovered(key)
    assert board.get(key).since is None and board.get(key).retries == 2
    assert len(stored) == 3  # two failures and the recovery, never a healthy batch
    board.recovered(key)
    assert len(stored) == 3


def test_a_failing_sink_does_not_stop_the_board() -> None:
    def broken(entry: object) -> None:
        raise psycopg.OperationalError("the store is down")

    board = HealthBoard(sink=broken)
    key = board.register("relay")
    assert board.failed(key, "store:7", "down").retries == 1


def test_entries_of_other_processes_count_unless_stale_and_this_process_knows_its_own_best() -> (
    None
):
    board = HealthBoard()
    key = board.register("relay")
    local = board.failed(key, "store:1", "now")
    now = datetime.now(UTC)
    old = local.__class__("relay", key, retries=1, since=now - timedelta(hours=1), last_failure=now)
    other = local.__class__(
        "projector",
        "host:2:abc",
        retries=5,
        since=now - timedelta(minutes=5),
        last_failure=now - timedelta(minutes=4),
    )
    merged = merge(board.entries(), [old, other])
    assert [e.retries for e in merged if e.instance == key] == [1] and merged[
        0
    ].since == local.since
    assert is_stale(other, now, threshold=30) and not is_stale(local, now, threshold=30)
