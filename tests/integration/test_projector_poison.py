"""The events projector parks an event it cannot apply; the aggregate's later versions wait behind
it, every other aggregate goes on, and a rebuild reports the same instead of raising."""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from adapters.kafka.broker import EmbeddedBroker
from adapters.kafka.client import topics_of
from aggregates.contract import EventEnvelope, encode
from aggregates.goal import Goal
from engine import jobs
from engine.bootstrap import Container, build
from tests.integration.live import LiveModels
from tests.support import Pipeline, make_settings, token, wait_until

ADMIN = token("admin", "alice")
GOAL = {
    "agent_id": "agent-1",
    "team_id": "team-a",
    "title": "AHT",
    "description": "",
    "kpi": "aht_seconds",
    "target": 300,
    "direction": "at_most",
    "period_start": "2026-10-01",
    "period_end": "2026-12-31",
    "weight": 1,
}
NUL_AGENT = "ag\u0000ent"


@pytest.fixture
def pipeline(tmp_path: Path, database_url: str, broker: EmbeddedBroker) -> Iterator[Pipeline]:
    running = Pipeline(make_settings(tmp_path, database_url, broker.bootstrap))
    try:
        yield running
    finally:
        running.close()


def store_goal_with_nul(container: Container) -> Goal:
    """A goal whose agent id holds a NUL, saved straight into the event store (as HTTP once
    accepted)."""
    goal = Goal(
        agent_id=NUL_AGENT,
        team_id="team-a",
        title="AHT",
        description="",
        kpi="aht_seconds",
        target=300,
        direction="at_most",
        period_start=date(2026, 10, 1),
        period_end=date(2026, 12, 31),
        weight=1,
        actor="admin:alice",
    )
    container.app.save(goal)
    return goal


def goal_version(client: Any, goal_id: str) -> int | None:
    response = client.get(f"/v1/goals/{goal_id}", headers=ADMIN)
    return int(response.json()["version"]) if response.status_code == 200 else None


def parked(container: Container) -> list[dict[str, Any]]:
    return container.db.query(
        "SELECT aggregate_id, version, source, reason, waits_behind FROM parked_events "
        "WHERE consumer = 'events' ORDER BY aggregate_id, version"
    )


def parked_count(container: Container, count: int) -> list[dict[str, Any]]:
    found = parked(container)
    return found if len(found) == count else []


def parked_metric(client: Any) -> float | None:
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            if (
                sample.name == "perfledger_parked_events"
                and sample.labels.get("consumer") == "events"
            ):
                return float(sample.value)
    return None


def test_a_goal_with_a_nul_in_its_agent_id_is_parked_on_postgresql_and_later_goals_still_project(
    pipeline: Pipeline,
) -> None:
    pipeline.start("relay", "projector")
    client, container = pipeline.client(), pipeline.container
    poison = store_goal_with_nul(container)
    container.app.revise_target(poison.id, 250, "stretch", "admin:alice")
    later = client.post("/v1/goals", json=GOAL, headers=ADMIN).json()["id"]
    wait_until(lambda: goal_version(client, later) == 1, timeout=30)
    if not container.settings.is_postgres:
        # SQLite stores NUL like any character: nothing to park there.
        wait_until(lambda: goal_version(client, str(poison.id)) == 2, timeout=30)
        assert parked(container) == []
        return
    rows = wait_until(lambda: parked_count(container, 2), timeout=30)
    assert [(r["aggregate_id"], r["version"], r["waits_behind"]) for r in rows] == [
        (str(poison.id), 1, None),
        (str(poison.id), 2, 1),
    ]
    assert "NUL (0x00)" in rows[0]["reason"] and rows[0]["source"].startswith(
        topics_of(pipeline.settings).events
    )
    assert goal_version(client, str(poison.id)) is None
    listed = client.get("/v1/admin/parked", params={"consumer": "events"}, headers=ADMIN).json()
    assert [i["version"] for i in listed["items"]] == [1, 2] and len(
        listed["items"][0]["digest"]
    ) == 64
    assert parked_metric(client) == 2
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["parked"] == {"events": 2}
    projector = container.started.projector
    assert projector is not None
    assert projector.handler.counts.gaps == 0 and projector.status.retries == 0


def envelope(aggregate: str, version: int, kind: str, data: dict[str, Any]) -> EventEnvelope:
    return EventEnvelope(
        id=aggregate,
        version=version,
        type=f"Goal.{kind}",
        topic=f"aggregates.goal:Goal.{kind}",
        at=f"2026-10-01T10:00:0{version}+00:00",
        actor="admin:alice",
        data={**data, "actor": "admin:alice"},
        notification_id=version,
    )


def goal_set(aggregate: str) -> EventEnvelope:
    return envelope(aggregate, 1, "Set", {**GOAL, "template_id": None, "draft": False})


def revised(aggregate: str, version: int, before: float, after: float) -> EventEnvelope:
    return envelope(
        aggregate, version, "TargetRevised", {"before": before, "after": after, "reason": "r"}
    )


def test_later_versions_wait_behind_a_parked_event_while_every_other_aggregate_goes_on(
    pipeline: Pipeline,
) -> None:
    pipeline.start("projector")
    client, container = pipeline.client(), pipeline.container
    stuck, other = str(uuid.uuid4()), str(uuid.uuid4())
    broken = envelope(
        stuck, 2, "TargetRevised", {"reason": "no before, no after"}
    )  # the goal builder: KeyError
    events = [
        goal_set(stuck),
        broken,
        revised(stuck, 3, 300, 280),
        goal_set(other),
        revised(other, 2, 300, 290),
    ]
    publish(pipeline, events)
    wait_until(lambda: goal_version(client, other) == 2, timeout=30)
    wait_until(lambda: len(parked(container)) == 2, timeout=30)
    publish(pipeline, [revised(stuck, 4, 280, 270), revised(other, 3, 290, 285)])
    wait_until(lambda: goal_version(client, other) == 3, timeout=30)
    rows = wait_until(lambda: parked_count(container, 3), timeout=30)
    assert (
        goal_version(client, stuck) == 1
    )  # a prefix of its history: v1, nothing after the parked v2
    assert [(r["version"], r["waits_behind"]) for r in rows] == [(2, None), (3, 2), (4, 2)]
    assert (
        rows[0]["reason"].startswith("KeyError") and "waits behind version 2" in rows[1]["reason"]
    )
    history = container.db.query(
        "SELECT version FROM history WHERE aggregate_id = ? ORDER BY version", (stuck,)
    )
    assert [int(h["version"]) for h in history] == [1]
    projector = container.started.projector
    assert projector is not None
    assert projector.handler.counts.gaps == 0 and projector.status.retries == 0


def publish(pipeline: Pipeline, events: list[EventEnvelope]) -> None:
    publisher = pipeline.container.publisher()
    try:
        publisher.publish(
            topics_of(pipeline.settings).events, [(e.id.encode(), encode(e)) for e in events]
        )
    finally:
        publisher.close()


@pytest.fixture
def live(tmp_path: Path, database_url: str) -> Iterator[LiveModels]:
    container = build(make_settings(tmp_path, database_url, None))
    try:
        yield LiveModels(container)
    finally:
        container.close()


def test_rebuild_check_reports_an_unappliable_event_as_parked_instead_of_raising(
    live: LiveModels,
    capsys: pytest.CaptureFixture[str],
) -> None:
    container = live.container
    poison = store_goal_with_nul(container)
    container.app.revise_target(poison.id, 250, "stretch", "admin:alice")
    store_goal_with_nul(container).agent_id  # noqa: B018 - a second one, parked on its own
    live.project()
    args = argparse.Namespace(projection="events", check=True)
    assert jobs.rebuild(container.settings, args) == 0
    out = capsys.readouterr().out
    assert "equal the live ones" in out
    if container.settings.is_postgres:
        assert "parked (cannot be applied; later versions of the aggregate wait behind): 3" in out
        assert (
            f"{poison.id} v1 (store:1): DataError: PostgreSQL text fields cannot contain NUL" in out
        )
        assert f"{poison.id} v2 (store:2): waits behind version 1" in out
        assert len(parked(container)) == 3
    else:
        assert "parked" not in out
    # Swapped in, the rebuilt parked entries replace the live ones (same aggregates and versions).
    assert (
        jobs.rebuild(container.settings, argparse.Namespace(projection="events", check=False)) == 0
    )
    assert len(parked(container)) == (3 if container.settings.is_postgres else 0)


def test_an_event_too_large_for_the_broker_is_parked_by_the_relay_and_the_pipeline_goes_on(
    pipeline: Pipeline,
) -> None:
    pipeline.start("relay", "projector")
    client, container = pipeline.client(), pipeline.container
    huge = Goal(
        agent_id="agent-1",
        team_id="team-a",
        title="AHT",
        description="x" * 1_100_000,
        kpi="aht_seconds",
        target=300,
        direction="at_most",
        period_start=date(2026, 10, 1),
        period_end=date(2026, 12, 31),
        weight=1,
        actor="admin:alice",
    )
    container.app.save(huge)
    container.app.revise_target(huge.id, 250, "stretch", "admin:alice")
    later = client.post("/v1/goals", json=GOAL, headers=ADMIN).json()["id"]
    wait_until(lambda: goal_version(client, later) == 1, timeout=30)
    relay_parked = wait_until(
        lambda: container.db.query(
            "SELECT aggregate_id, version, source, reason FROM parked_events "
            "WHERE consumer = 'relay'"
        ),
        timeout=30,
    )
    assert [(r["aggregate_id"], r["version"], r["source"]) for r in relay_parked] == [
        (str(huge.id), 1, "store:1")
    ]
    assert "MessageSizeTooLarge" in relay_parked[0]["reason"]
    rows = wait_until(lambda: parked_count(container, 1), timeout=30)
    assert [(r["aggregate_id"], r["version"], r["waits_behind"]) for r in rows] == [
        (str(huge.id), 2, 1)
    ]
    assert goal_version(client, str(huge.id)) is None
    relay = container.started.relay
    assert relay is not None and relay.status.errors == 0
