"""Fault test: PostgreSQL (a server of the test's own) stopped with `-m immediate` for 20 s
while a client keeps creating goals, each under its own Idempotency-Key and retried on 503.

No answer takes more than 2 s, no goal is stored twice, every acknowledged goal is kept,
and once the server is back everything works again without restarting perfledger.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.pg_cluster import Cluster, own_cluster
from tests.support import Pipeline, make_settings, token, wait_until

ADMIN = token("admin", "alice")
OUTAGE_SECONDS = 20
BUDGET = 2.0


@dataclass
class Load:
    """A client creating goals one after another, retrying each (same key) until acknowledged."""

    client: Any
    stop: threading.Event = field(default_factory=threading.Event)
    acknowledged: dict[str, str] = field(default_factory=dict)  # key -> goal id
    slowest: float = 0.0
    statuses: set[int] = field(default_factory=set)
    unavailable: int = 0
    replays_disagreeing: list[str] = field(default_factory=list)

    def run(self) -> None:
        number = 0
        while not self.stop.is_set():
            number += 1
            key, body = str(uuid.uuid4()), goal(number)
            self.acknowledged[key] = self.create(key, body)
            if number % 5 == 0:  # an answer the client missed: it asks again, same key
                again = self.create(key, body)
                if again != self.acknowledged[key]:
                    self.replays_disagreeing.append(key)

    def create(self, key: str, body: dict[str, Any]) -> str:
        while True:
            started = time.monotonic()
            response = self.client.post(
                "/v1/goals", json=body, headers={**ADMIN, "Idempotency-Key": key}
            )
            self.slowest = max(self.slowest, time.monotonic() - started)
            self.statuses.add(response.status_code)
            if response.status_code == 201:
                return str(response.json()["id"])
            if response.status_code != 503:
                raise AssertionError(f"unexpected answer {response.status_code}: {response.text}")
            assert int(response.headers["Retry-After"]) >= 1
            self.unavailable += 1
            time.sleep(0.1)  # sooner than Retry-After asks: a client in a hurry


def goal(number: int) -> dict[str, Any]:
    return {
        "agent_id": f"agent-{number % 7}",
        "team_id": "team-a",
        "title": f"goal {number}",
        "kpi": "manual",
        "target": 10,
        "direction": "at_least",
        "period_start": "2026-10-01",
        "period_end": "2026-12-31",
        "weight": 1,
    }


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    with own_cluster() as started:
        yield started


@pytest.fixture
def pipeline(cluster: Cluster, broker: Any, tmp_path: Path) -> Iterator[Pipeline]:
    running = Pipeline(make_settings(tmp_path, cluster.url, broker.bootstrap)).start(
        "relay", "projector"
    )
    try:
        yield running
    finally:
        running.close()


def goals_stored(pipeline: Pipeline) -> list[str]:
    recorder = pipeline.container.app.recorder
    notifications = recorder.select_notifications(start=1, limit=1_000_000)
    return [str(n.originator_id) for n in notifications if n.topic.endswith("Goal.Set")]


def test_an_outage_under_load_answers_fast_applies_once_and_loses_nothing(
    cluster: Cluster,
    pipeline: Pipeline,
) -> None:
    load = Load(pipeline.client())
    worker = threading.Thread(target=load.run, name="load", daemon=True)
    worker.start()
    try:
        wait_until(lambda: len(load.acknowledged) >= 20, timeout=20)
        cluster.stop("immediate")
        time.sleep(OUTAGE_SECONDS)
        before_restart = len(load.acknowledged)
        cluster.start()
        wait_until(lambda: len(load.acknowledged) >= before_restart + 20, timeout=30)
    finally:
        load.stop.set()
        worker.join(timeout=30)
    assert not worker.is_alive()

    assert load.slowest < BUDGET
    assert load.statuses == {201, 503} and load.unavailable > 0
    assert load.replays_disagreeing == []
    stored = goals_stored(pipeline)
    assert len(stored) == len(set(stored)) == len(load.acknowledged)  # each once, none extra
    assert set(stored) == set(load.acknowledged.values())  # nothing acknowledged is lost
    client = pipeline.client()
    last = list(load.acknowledged.values())[-1]
    wait_until(
        lambda: client.get(f"/v1/goals/{last}", headers=ADMIN).status_code == 200, timeout=30
    )
    wait_until(lambda: client.get("/readyz").status_code == 200, timeout=30)
