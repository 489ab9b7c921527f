"""A PostgreSQL outage answers fast: 503 with Retry-After, /readyz names the database, and
everything works again once the server is back, without a restart (a server of the test's own)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.pg_cluster import Cluster, own_cluster
from tests.support import Pipeline, make_settings, token, wait_until

GOAL: dict[str, Any] = {
    "agent_id": "agent-1",
    "team_id": "team-a",
    "title": "AHT",
    "kpi": "aht_seconds",
    "target": 300,
    "direction": "at_most",
    "period_start": "2026-10-01",
    "period_end": "2026-12-31",
    "weight": 1,
}
ADMIN = token("admin", "alice")
BUDGET = 2.0  # seconds a request may wait for its answer while the database is down


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    with own_cluster() as started:
        yield started


@pytest.fixture
def client(cluster: Cluster, tmp_path: Path) -> Iterator[Any]:
    pipeline = Pipeline(make_settings(tmp_path, cluster.url, None))
    try:
        yield pipeline.client()
    finally:
        pipeline.close()


def timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def assert_unavailable(response: Any, elapsed: float) -> None:
    assert response.status_code == 503, response.text
    assert elapsed < BUDGET
    assert int(response.headers["Retry-After"]) >= 1
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 503


def test_during_an_outage_commands_and_reads_answer_503_at_once_and_recover(
    client: Any,
    cluster: Cluster,
) -> None:
    goal_id = client.post("/v1/goals", json=GOAL, headers=ADMIN).json()["id"]
    cluster.stop("immediate")

    for _ in range(3):  # the pools' broken connections, then the refused new ones
        assert_unavailable(*timed(lambda: client.post("/v1/goals", json=GOAL, headers=ADMIN)))
    revise = {"target": 200, "reason": "outage"}  # loads the goal (snapshots, then events) first
    assert_unavailable(
        *timed(
            lambda: client.post(f"/v1/goals/{goal_id}/revise-target", json=revise, headers=ADMIN)
        )
    )
    assert_unavailable(*timed(lambda: client.get(f"/v1/audit/{goal_id}/events", headers=ADMIN)))
    assert_unavailable(*timed(lambda: client.get(f"/v1/goals/{goal_id}", headers=ADMIN)))
    assert_unavailable(*timed(lambda: client.get("/v1/goals", headers=ADMIN)))
    ready, elapsed = timed(lambda: client.get("/readyz"))
    assert ready.status_code == 503 and elapsed < BUDGET
    assert ready.json()["unavailable"] == ["database"]

    cluster.start()
    created = wait_until(
        lambda: client.post("/v1/goals", json=GOAL, headers=ADMIN).status_code == 201 or None,
        timeout=15,
    )
    assert created
    assert (
        client.post(
            f"/v1/goals/{goal_id}/cancel", json={"reason": "back"}, headers=ADMIN
        ).status_code
        == 200
    )
    # The read-model pool may only now find its connections of before the outage broken (reads
    # refused during it met the event store first, where the roster is looked up): a moment.
    assert wait_until(lambda: client.get("/readyz").status_code == 200 or None, timeout=15)
