"""Telephony batches acknowledged over HTTP survive a SIGKILL of perfledger or of its broker."""

from __future__ import annotations

import os
import signal
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Self

import httpx
import pytest

from engine.bootstrap import open_database
from tests.e2e.test_broker_faults import broker_pid, readiness, unready
from tests.e2e.test_up import ADMIN, Up
from tests.support import token, wait_until

INGEST = token("ingest", "pbx-1")
TEAM = "team-durable"


@pytest.fixture
def up(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Up]:
    store = getattr(request, "param", "sqlite")
    running = Up(
        tmp_path / "data", request.getfixturevalue("postgres_url") if store == "postgres" else None
    )
    running.env["PERFLEDGER_BROKER_RESTART_SECONDS"] = "1.5"  # long enough to see /readyz say so
    running.env["PERFLEDGER_INBOX_EVERY_SECONDS"] = "0.2"
    try:
        yield running
    finally:
        running.kill_if_running()


def calls(count: int) -> list[dict[str, Any]]:
    at = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0).isoformat()
    return [
        {
            "event_id": str(uuid.uuid4()),
            "type": "call.completed",
            "agent_id": f"agent-{n % 5}",
            "team_id": TEAM,
            "occurred_at": at,
            "call_id": f"call-{uuid.uuid4().hex}",
            "talk_seconds": 100,
            "hold_seconds": 5,
            "acw_seconds": 10,
            "transferred": False,
            "resolved_first_contact": True,
        }
        for n in range(count)
    ]


def post(up: Up, events: list[dict[str, Any]]) -> httpx.Response:
    return httpx.post(f"{up.url}/v1/telephony/events", json=events, headers=INGEST, timeout=30)


def stored(up: Up, sql: str) -> list[dict[str, Any]]:
    db = open_database(
        up.env.get("PERFLEDGER_DATABASE_URL") or f"sqlite:///{up.data_dir / 'perfledger.db'}"
    )
    try:
        return db.query(sql)
    finally:
        db.close()


def counters(up: Up) -> dict[str, int]:
    return {
        row["name"]: int(row["value"])
        for row in stored(up, "SELECT name, value FROM ingest_counters")
    }


def archived(up: Up) -> set[str]:
    return {row["event_id"] for row in stored(up, "SELECT event_id FROM telephony_archive")}


def calls_handled(up: Up) -> int:
    rows = httpx.get(
        f"{up.url}/v1/teams/{TEAM}/kpis", params={"bucket": "day"}, headers=ADMIN, timeout=10
    )
    return sum(row["calls_handled"] or 0 for row in rows.json()["rows"])


def assert_counted_exactly_once(up: Up, acknowledged: set[str]) -> None:
    wait_until(lambda: acknowledged <= archived(up), timeout=60, interval=0.2)
    assert archived(up) == acknowledged
    found = counters(up)
    assert found["accepted"] == len(acknowledged)
    assert found["received"] == found["accepted"] + found.get("duplicates", 0) + found.get(
        "dead_lettered", 0
    )
    wait_until(lambda: calls_handled(up) == len(acknowledged), timeout=30, interval=0.2)
    wait_until(
        lambda: not stored(up, "SELECT event_id FROM telephony_inbox"), timeout=30, interval=0.2
    )


@pytest.mark.parametrize("up", ["sqlite", "postgres"], indirect=True)
def test_a_batch_acknowledged_right_before_a_sigkill_is_counted_after_the_restart(up: Up) -> None:
    up.args = ["--only", "api"]  # nothing ingests before the kill: the broker alone held the batch
    up.start()
    batch = calls(300)
    response = post(up, batch)
    assert response.status_code == 202 and response.json()["accepted"] == 300
    up.stop(signal.SIGKILL)
    up.args = []
    up.start()
    assert_counted_exactly_once(up, {e["event_id"] for e in batch})


class Poster:
    """Posts small batches continuously and remembers every event the API acknowledged."""

    def __init__(self, up: Up) -> None:
        self.up = up
        self.acknowledged: set[str] = set()
        self.refused = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            batch = calls(20)
            try:
                response = post(self.up, batch)
            except httpx.HTTPError:
                self.refused += 1
                continue
            if response.status_code == 202:
                self.acknowledged.update(e["event_id"] for e in batch)
            else:
                self.refused += 1
            self.stop.wait(0.02)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=60)


@pytest.mark.parametrize("up", ["sqlite", "postgres"], indirect=True)
def test_a_broker_killed_under_load_is_restarted_and_every_acknowledged_event_counts_once(
    up: Up,
) -> None:
    up.start()
    with Poster(up) as poster:
        wait_until(lambda: len(poster.acknowledged) >= 400, timeout=30)
        pid = broker_pid(up)
        os.kill(pid, signal.SIGKILL)
        body = wait_until(lambda: unready(up), timeout=10)
        assert body["down"] == ["broker"]
        wait_until(
            lambda: readiness(up)[0] == 200 and broker_pid(up) != pid, timeout=60, interval=0.2
        )
        resumed = len(poster.acknowledged)
        wait_until(lambda: len(poster.acknowledged) >= resumed + 400, timeout=30)
    assert poster.refused == 0
    assert_counted_exactly_once(up, poster.acknowledged)
