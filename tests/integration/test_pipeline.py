"""Command -> event store -> relay -> Kafka -> projector -> read API, on SQLite and PostgreSQL."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.kafka.broker import EmbeddedBroker
from tests.support import Pipeline, make_settings, token, wait_until

GOAL = {
    "agent_id": "agent-1",
    "team_id": "team-a",
    "title": "Handle calls faster",
    "description": "Bring AHT under five minutes",
    "kpi": "aht_seconds",
    "target": 300,
    "direction": "at_most",
    "period_start": "2026-10-01",
    "period_end": "2026-12-31",
    "weight": 2,
}
ADMIN = token("admin", "alice")


@pytest.fixture
def pipeline(tmp_path: Path, database_url: str, broker: EmbeddedBroker) -> Iterator[Pipeline]:
    running = Pipeline(make_settings(tmp_path, database_url, broker.bootstrap))
    try:
        yield running
    finally:
        running.close()


def set_goal(client: Any, **changes: Any) -> str:
    response = client.post("/v1/goals", json={**GOAL, **changes}, headers=ADMIN)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def projected(client: Any, goal_id: str, version: int = 1) -> dict[str, Any] | None:
    response = client.get(f"/v1/goals/{goal_id}", headers=ADMIN)
    if response.status_code != 200 or response.json()["version"] != version:
        return None
    return dict(response.json())


def history(client: Any, goal_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/v1/audit/{goal_id}/events", headers=ADMIN)
    return list(response.json()) if response.status_code == 200 else []


def history_rows(pipeline: Pipeline) -> int:
    return int(pipeline.container.db.query("SELECT COUNT(*) AS n FROM history")[0]["n"])


def test_a_goal_travels_through_kafka_into_both_read_models(pipeline: Pipeline) -> None:
    pipeline.start("relay", "projector")
    client = pipeline.client()
    goal_id = set_goal(client)
    doc = wait_until(lambda: projected(client, goal_id), timeout=15)
    assert doc["target"] == 300 and doc["status"] == "active" and doc["set_by"] == "admin:alice"
    events = wait_until(lambda: history(client, goal_id))
    assert [(e["sequence"], e["type"], e["actor"]) for e in events] == [
        (1, "Goal.Set", "admin:alice")
    ]
    assert events[0]["prev_hash"] == "0" * 64 and len(events[0]["hash"]) == 64


def test_the_projector_not_the_command_writes_the_read_model(pipeline: Pipeline) -> None:
    pipeline.start("relay")
    client = pipeline.client()
    goal_id = set_goal(client)
    relay = pipeline.container.started.relay
    assert relay is not None
    wait_until(lambda: relay.status.position >= 1)
    assert client.get(f"/v1/goals/{goal_id}", headers=ADMIN).status_code == 404
    assert history(client, goal_id) == []
    pipeline.start("projector")
    wait_until(lambda: projected(client, goal_id), timeout=15)


def test_revisions_and_cancellation_reach_the_read_model_in_order(pipeline: Pipeline) -> None:
    pipeline.start("relay", "projector")
    client = pipeline.client()
    goal_id = set_goal(client)
    for target in (290, 280):
        response = client.post(
            f"/v1/goals/{goal_id}/revise-target",
            json={"target": target, "reason": f"to {target}"},
            headers=ADMIN,
        )
        assert response.status_code == 200, response.text
    assert (
        client.post(
            f"/v1/goals/{goal_id}/cancel", json={"reason": "moved team"}, headers=ADMIN
        ).status_code
        == 200
    )
    doc = wait_until(lambda: projected(client, goal_id, version=4), timeout=15)
    assert doc["status"] == "cancelled" and doc["target"] == 280
    assert [(r["before"], r["after"], r["reason"]) for r in doc["revisions"]] == [
        (300, 290, "to 290"),
        (290, 280, "to 280"),
    ]
    events = history(client, goal_id)
    assert [e["sequence"] for e in events] == [1, 2, 3, 4]
    assert all(e["prev_hash"] == p["hash"] for p, e in itertools.pairwise(events))


def test_redelivery_of_every_event_changes_nothing(pipeline: Pipeline) -> None:
    pipeline.start("relay", "projector")
    client = pipeline.client()
    ids = [set_goal(client, title=f"goal {n}") for n in range(5)]
    for goal_id in ids:
        wait_until(functools.partial(projected, client, goal_id), timeout=15)
    before = pipeline.container.db.query("SELECT id, version, doc FROM documents ORDER BY id")
    pipeline.stop("projector")
    with pipeline.container.db.transaction() as cur:
        cur.execute("DELETE FROM consumer_offsets")  # forget every offset: all is read again
    pipeline.start("projector")
    loop = pipeline.container.started.projector
    assert loop is not None
    wait_until(lambda: loop.handler.counts.duplicates >= 10, timeout=15)
    assert (
        pipeline.container.db.query("SELECT id, version, doc FROM documents ORDER BY id") == before
    )
    assert history_rows(pipeline) == 5


def test_a_new_broker_life_is_refed_from_the_event_store(tmp_path: Path, database_url: str) -> None:
    with EmbeddedBroker() as first:
        settings = make_settings(tmp_path, database_url, first.bootstrap)
        running = Pipeline(settings).start("relay", "projector")
        client = running.client()
        ids = [set_goal(client, title=f"goal {n}") for n in range(3)]
        for goal_id in ids:
            wait_until(functools.partial(projected, client, goal_id), timeout=15)
        running.close()
    with EmbeddedBroker() as second:  # empty: it knows none of the offsets stored so far
        running = Pipeline(settings.model_copy(update={"kafka_bootstrap": second.bootstrap}))
        try:
            running.start("relay", "projector")
            client = running.client()
            newer = set_goal(client, title="after the restart")
            wait_until(lambda: projected(client, newer), timeout=15)
            relay = running.container.started.relay
            assert relay is not None
            assert relay.status.refeeds == 1
            loop = running.container.started.projector
            assert loop is not None
            wait_until(lambda: loop.handler.counts.duplicates >= 6)
            assert history_rows(running) == 4
            assert all(projected(client, goal_id) for goal_id in ids)
        finally:
            running.close()


def test_commands_succeed_while_the_broker_is_away_and_models_catch_up(
    tmp_path: Path, database_url: str
) -> None:
    broker = EmbeddedBroker().start()
    running = Pipeline(make_settings(tmp_path, database_url, broker.bootstrap)).start(
        "relay", "projector"
    )
    try:
        client = running.client()
        first = set_goal(client, title="before the outage")
        wait_until(lambda: projected(client, first), timeout=15)
        broker.stop()
        during = set_goal(client, title="during the outage")
        assert client.get(f"/v1/goals/{during}", headers=ADMIN).status_code == 404
        broker = EmbeddedBroker(port=broker.port).start()
        wait_until(lambda: projected(client, during), timeout=30)
        assert projected(client, first) and history_rows(running) == 2
    finally:
        running.close()
        broker.stop()


def test_a_draft_is_projected_as_a_draft_until_activated(pipeline: Pipeline) -> None:
    pipeline.start("relay", "projector")
    client = pipeline.client()
    goal_id = set_goal(client, draft=True)
    assert wait_until(lambda: projected(client, goal_id), timeout=15)["status"] == "draft"
    assert client.post(f"/v1/goals/{goal_id}/activate", headers=ADMIN).status_code == 200
    assert (
        wait_until(lambda: projected(client, goal_id, version=2), timeout=15)["status"] == "active"
    )
