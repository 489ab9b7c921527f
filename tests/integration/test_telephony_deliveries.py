"""The door for corrections, and the deliveries report that reconciles with the telephony system.

Over the embedded broker, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.kafka.broker import EmbeddedBroker
from adapters.kafka.client import topics_of
from adapters.sql.ingest_counts import COUNTER_NAMES
from tests.integration.test_telephony_door import (
    CALL,
    INTERVAL,
    SURVEY,
    agent_day,
    counters,
    post,
    settled,
)
from tests.integration.test_telephony_ingest import produce
from tests.support import Pipeline, make_settings, token, wait_until

INGEST = token("ingest", "pbx-1")


def eid(n: int) -> str:
    return f"4d7e2c1a-4f4e-4c39-9d0e-{n:012d}"


@pytest.fixture
def pipeline(tmp_path: Path, database_url: str, broker: EmbeddedBroker) -> Iterator[Pipeline]:
    running = Pipeline(make_settings(tmp_path, database_url, broker.bootstrap))
    running.start("ingestor")
    try:
        yield running
    finally:
        running.close()


def correction(n: int, original: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {
        "event_id": eid(n),
        "type": "event.corrected",
        "agent_id": original["agent_id"],
        "team_id": original["team_id"],
        "occurred_at": "2026-10-08T10:00:00Z",
        "corrects": original["event_id"],
        "reason": "fixed at source",
        "event": {**original, **changes},
    }


def test_corrections_pass_the_same_door_with_every_reason_named(pipeline: Pipeline) -> None:
    client = pipeline.client()
    call = {**CALL, "event_id": eid(1)}
    interval = {**INTERVAL, "event_id": eid(2)}
    assert post(client, [call, interval])["accepted"] == 2
    settled(pipeline, 2)
    batch = [
        correction(10, call, agent_id="agent-018"),  # would move the call to another agent
        correction(11, call, talk_seconds=1e16),  # implausible, like any new event
        correction(12, call, type="survey.completed", csat=5),  # another type than the original
        {
            **correction(13, call),
            "event": {**call, "event_id": eid(99)},
        },  # a body that is another event
        {**correction(14, interval, handling_seconds=800)},  # handling > available
        correction(15, call, talk_seconds=10.0),  # fine
        {
            "event_id": eid(16),
            "type": "event.voided",
            "agent_id": "agent-017",
            "team_id": "team-north",
            "occurred_at": "2026-10-08T10:00:00Z",
            "voids": eid(2),
            "reason": "duplicate interval",
        },
        {**correction(17, {**SURVEY, "event_id": eid(50)}, csat=5)},  # original unknown: held
        {
            "event_id": eid(18),
            "type": "event.voided",
            "agent_id": "agent-017",
            "team_id": "team-north",
            "occurred_at": "2026-10-08T10:00:00Z",
            "voids": eid(18),
            "reason": "r",
        },  # itself
        {
            "event_id": eid(19),
            "type": "event.voided",
            "agent_id": "agent-017",
            "team_id": "team-north",
            "occurred_at": "2026-10-08T10:00:00Z",
            "voids": eid(2),
            "reason": " ",
        },  # no reason
        {
            "event_id": eid(21),
            "type": "event.voided",
            "agent_id": "agent-099",
            "team_id": "team-north",
            "occurred_at": "2026-10-08T10:00:00Z",
            "voids": eid(1),
            "reason": "not mine",
        },  # another agent's event
    ]
    answer = post(client, batch)
    reasons = {r["index"]: r["reason"] for r in answer["rejected"]}
    assert reasons == {
        0: "event.agent_id: a correction keeps the original's agent_id ('agent-017'); "
        "to change it, void the event and send a new one",
        1: "event.talk_seconds: must be at most 28800",
        2: "event.type: a correction keeps the original's type ('call.completed'); "
        "to change it, void the event and send a new one",
        3: "event.event_id: must be the corrected event's id (corrects), or left out",
        4: "event.handling_seconds: must not exceed available_seconds (800 > 780)",
        8: "voids: must name another event than this one",
        9: "reason: must be 1 to 500 characters",
        10: "agent_id: must be the agent_id of the event named ('agent-017')",
    }
    assert answer["accepted"] == 3
    found = settled(pipeline, 2 + len(batch))
    assert found["accepted"] == 5 and found["dead_lettered"] == 8
    again = post(
        client,
        [
            {
                "event_id": eid(20),
                "type": "event.voided",
                "agent_id": "agent-017",
                "team_id": "team-north",
                "occurred_at": "2026-10-08T10:00:00Z",
                "voids": eid(15),
                "reason": "wrong",
            }
        ],
    )
    assert again["rejected"] == [
        {
            "index": 0,
            "reason": f"voids: {eid(15)} is itself an event.corrected; "
            f"name the original event ({eid(1)})",
        }
    ]
    days = wait_until(
        lambda: [r for r in agent_day(pipeline) if r["aht_seconds"] == pytest.approx(86.5)]
    )
    assert (
        days[0]["calls_handled"] == 1 and days[0]["occupancy_rate"] is None
    )  # the interval is voided


def test_the_deliveries_of_a_day_per_source_add_up_to_the_ingest_counters(
    pipeline: Pipeline, broker: EmbeddedBroker
) -> None:
    client = pipeline.client()
    answer = post(
        client,
        [{**CALL, "event_id": eid(1)}, {**CALL, "event_id": eid(1)}, {**CALL, "event_id": "x"}],
    )
    assert answer["accepted"] == 1 and answer["duplicates"] == 1 and len(answer["rejected"]) == 1
    settled(pipeline, 3)
    topic = topics_of(pipeline.settings).telephony
    raw = [json.dumps({**SURVEY, "event_id": eid(n)}).encode() for n in (2, 3)]
    produce(
        broker.bootstrap,
        topic,
        [
            (b"agent-017", v)
            for v in [*raw, raw[0], b"{", json.dumps({**CALL, "event_id": eid(1)}).encode()]
        ],
    )
    found = settled(pipeline, 8)
    today = datetime.now(UTC).date().isoformat()
    report = client.get("/v1/telephony/deliveries", params={"day": today}, headers=INGEST)
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["day"] == today
    assert body["sources"] == [
        {"source": "http", "received": 3, "accepted": 1, "duplicates": 1, "dead_lettered": 1},
        {
            "source": f"kafka:{topic}",
            "received": 5,
            "accepted": 2,
            "duplicates": 2,
            "dead_lettered": 1,
        },
    ]
    assert body["total"] == {name: found[name] for name in COUNTER_NAMES} == counters(pipeline)
    assert (
        client.get(
            "/v1/telephony/deliveries",
            params={"day": "2001-01-01"},
            headers=token("auditor", "ann"),
        ).json()["sources"]
        == []
    )
    assert (
        client.get(
            "/v1/telephony/deliveries", params={"day": "yesterday"}, headers=INGEST
        ).status_code
        == 422
    )
    assert (
        client.get(
            "/v1/telephony/deliveries", params={"day": today}, headers=token("agent", "x")
        ).status_code
        == 403
    )
