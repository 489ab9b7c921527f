"""Validation at the door: what the HTTP route answers per event is what the ingestor does.

Over the embedded broker, on SQLite and PostgreSQL: implausible numbers, oversized events,
surveys for another agent's call and conflicting re-uses of an event_id are refused with
their reason, dead-lettered in a publishable size, and the accounting stays exact.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaProducer

from adapters.kafka.broker import EmbeddedBroker
from adapters.kafka.client import topics_of
from adapters.sql.ingest_counts import COUNTER_NAMES
from adapters.sql.ingest_counts import counter_totals as ingest_counters
from adapters.sql.rebuilder import rebuild
from adapters.telephony.dead_letters import ACCEPTED_HEADER, MAX_PAYLOAD_BYTES, digest
from adapters.telephony.ingestor import decode_archived
from tests.integration.test_telephony_ingest import assert_api_matches_oracle, dead_letters, produce
from tests.support import Pipeline, make_settings, token, wait_until

INGEST = token("ingest", "pbx-1")
CALL = {
    "event_id": "1b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d01",
    "type": "call.completed",
    "agent_id": "agent-017",
    "team_id": "team-north",
    "occurred_at": "2026-10-05T09:14:03+02:00",
    "call_id": "c-88121",
    "talk_seconds": 212.4,
    "hold_seconds": 31.0,
    "acw_seconds": 45.5,
    "transferred": False,
    "resolved_first_contact": True,
}
SURVEY = {
    "event_id": "1b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d03",
    "type": "survey.completed",
    "agent_id": "agent-017",
    "team_id": "team-north",
    "occurred_at": "2026-10-07T11:00:00Z",
    "call_id": "c-88121",
    "csat": 4,
}
INTERVAL = {
    "event_id": "1b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d05",
    "type": "agent.interval",
    "agent_id": "agent-017",
    "team_id": "team-north",
    "occurred_at": "2026-10-05T07:00:00Z",
    "interval_seconds": 900,
    "scheduled_seconds": 900,
    "adherent_seconds": 810,
    "available_seconds": 780,
    "handling_seconds": 600,
}


def eid(n: int) -> str:
    return f"2b7e2c1a-4f4e-4c39-9d0e-{n:012d}"


@pytest.fixture
def pipeline(tmp_path: Path, database_url: str, broker: EmbeddedBroker) -> Iterator[Pipeline]:
    running = Pipeline(make_settings(tmp_path, database_url, broker.bootstrap))
    running.start("ingestor")
    try:
        yield running
    finally:
        running.close()


def post(client: Any, body: Any) -> dict[str, Any]:
    response = client.post("/v1/telephony/events", content=json.dumps(body), headers=INGEST)
    assert response.status_code == 202, response.text
    return dict(response.json())


def counters(pipeline: Pipeline) -> dict[str, int]:
    return {**dict.fromkeys(COUNTER_NAMES, 0), **ingest_counters(pipeline.container.db)}


def settled(pipeline: Pipeline, received: int) -> dict[str, int]:
    """The counters once `received` messages are accounted for; the identity holds exactly."""
    wait_until(lambda: counters(pipeline).get("received") == received, timeout=30)
    found = counters(pipeline)
    assert found["received"] == found["accepted"] + found["duplicates"] + found["dead_lettered"]
    return found


def agent_day(pipeline: Pipeline, agent: str = "agent-017") -> list[dict[str, Any]]:
    response = pipeline.client().get(
        f"/v1/agents/{agent}/kpis", params={"bucket": "day"}, headers=token()
    )
    return list(response.json()["rows"])


def test_implausible_numbers_are_rejected_per_event_with_field_and_reason(
    pipeline: Pipeline,
) -> None:
    client = pipeline.client()
    batch = [
        {**CALL, "event_id": eid(1), "talk_seconds": 1e16},
        {**INTERVAL, "event_id": eid(2), "handling_seconds": 600, "available_seconds": 300},
        {**INTERVAL, "event_id": eid(3), "adherent_seconds": 901},
        {**CALL, "event_id": eid(4), "occurred_at": "2099-01-01T00:00:00Z"},
        {**CALL, "event_id": eid(5), "transferred": 0},
        {**CALL, "event_id": eid(6), "hold_seconds": True},
        *(
            {**CALL, "event_id": eid(10 + n), "call_id": f"c-{n}", "talk_seconds": 1e15}
            for n in range(10)
        ),
        CALL,
    ]
    body = post(client, batch)
    assert body["accepted"] == 1 and body["duplicates"] == 0
    reasons = {r["index"]: r["reason"] for r in body["rejected"]}
    assert reasons[0] == "talk_seconds: must be at most 28800"
    assert reasons[1] == "handling_seconds: must not exceed available_seconds (600 > 300)"
    assert reasons[2] == "adherent_seconds: must not exceed scheduled_seconds (901 > 900)"
    assert reasons[3] == "occurred_at: more than 300 seconds in the future"
    assert reasons[4].startswith("transferred: must be a JSON boolean")
    assert reasons[5] == "hold_seconds: must be a number"
    assert all(reasons[6 + n] == "talk_seconds: must be at most 28800" for n in range(10))
    assert [e["outcome"] for e in body["events"]] == ["rejected"] * 16 + ["accepted"]
    assert body["events"][-1] == {"index": 16, "event_id": CALL["event_id"], "outcome": "accepted"}
    assert settled(pipeline, len(batch)) == {
        "received": 17,
        "accepted": 1,
        "duplicates": 0,
        "dead_lettered": 16,
    }
    (day,) = agent_day(pipeline)
    assert day["calls_handled"] == 1 and day["occupancy_rate"] is None


def test_the_same_events_over_kafka_are_dead_lettered_with_the_same_reasons(
    pipeline: Pipeline,
) -> None:
    topics = topics_of(pipeline.settings)
    bad = [
        {**INTERVAL, "event_id": eid(2), "handling_seconds": 600, "available_seconds": 300},
        {**CALL, "event_id": eid(4), "occurred_at": "2099-01-01T00:00:00Z"},
    ]
    produce(
        pipeline.settings.kafka_bootstrap or "",
        topics.telephony,
        [(b"agent-017", json.dumps(e).encode()) for e in [*bad, CALL]],
    )
    assert settled(pipeline, 3) == {
        "received": 3,
        "accepted": 1,
        "duplicates": 0,
        "dead_lettered": 2,
    }
    letters = dead_letters(pipeline.settings.kafka_bootstrap or "", topics.telephony_dlq, 2)
    assert sorted(dict(r.headers)["reason"].decode() for r in letters) == [
        "handling_seconds: must not exceed available_seconds (600 > 300)",
        "occurred_at: more than 300 seconds in the future",
    ]
    assert all(
        dict(r.headers)["source"].startswith(topics.telephony.encode() + b":") for r in letters
    )


def test_a_10_mb_event_in_a_batch_is_rejected_alone_and_its_dead_letter_is_cut(
    pipeline: Pipeline,
) -> None:
    client = pipeline.client()
    huge = {**SURVEY, "note": "x" * 10_000_000}
    body = post(client, [CALL, huge])
    assert body["accepted"] == 1
    (rejected,) = body["rejected"]
    assert rejected["index"] == 1 and rejected["reason"].startswith("message: too big (")
    assert body["events"][1] == {
        "index": 1,
        "event_id": SURVEY["event_id"],
        "outcome": "rejected",
        "reason": rejected["reason"],
    }
    settled(pipeline, 2)
    topics = topics_of(pipeline.settings)
    (letter,) = dead_letters(pipeline.settings.kafka_bootstrap or "", topics.telephony_dlq, 1)
    headers = dict(letter.headers)
    original = json.dumps(huge, separators=(",", ":")).encode()
    assert len(letter.value) == MAX_PAYLOAD_BYTES and original.startswith(letter.value)
    assert headers["original-size"] == str(len(original)).encode()
    assert headers["original-sha256"] == digest(original).encode()
    assert headers["source"] == b"http:1" and headers["truncated"] == b"true"


def test_a_message_of_a_megabyte_is_dead_lettered_and_the_ingestor_moves_on(
    pipeline: Pipeline,
) -> None:
    from kafka import KafkaProducer

    topics = topics_of(pipeline.settings)
    bootstrap = pipeline.settings.kafka_bootstrap or ""
    padding = 1_048_500 - len(json.dumps({**CALL, "note": ""}).encode())
    big = json.dumps({**CALL, "event_id": eid(1), "note": "x" * padding}).encode()
    assert len(big) == 1_048_500
    producer = KafkaProducer(bootstrap_servers=bootstrap, max_request_size=2 * 1024 * 1024)
    try:
        producer.send(topics.telephony, key=b"agent-017", value=big).get(30)
        producer.send(topics.telephony, key=b"agent-017", value=json.dumps(CALL).encode()).get(30)
    finally:
        producer.close()
    assert settled(pipeline, 2) == {
        "received": 2,
        "accepted": 1,
        "duplicates": 0,
        "dead_lettered": 1,
    }
    (letter,) = dead_letters(bootstrap, topics.telephony_dlq, 1)
    headers = dict(letter.headers)
    assert headers["reason"].startswith(b"message: too big (1048500 bytes")
    assert (
        headers["original-size"] == b"1048500"
        and headers["original-sha256"] == digest(big).encode()
    )
    assert len(letter.value) == MAX_PAYLOAD_BYTES


def test_a_survey_for_another_agents_call_is_refused_over_http(pipeline: Pipeline) -> None:
    client = pipeline.client()
    assert post(client, [CALL])["accepted"] == 1
    settled(pipeline, 1)
    stranger = {**SURVEY, "agent_id": "agent-099", "team_id": "team-south"}
    qa = {
        "event_id": eid(7),
        "type": "qa.evaluated",
        "agent_id": "agent-099",
        "team_id": "team-south",
        "occurred_at": "2026-10-08T10:00:00Z",
        "call_id": "c-88121",
        "qa_score": 90,
        "evaluator_id": "qa-1",
    }
    body = post(client, [stranger, qa, SURVEY])
    reason = "agent_id: call c-88121 was handled by agent-017, not agent-099"
    assert body["rejected"] == [{"index": 0, "reason": reason}, {"index": 1, "reason": reason}]
    assert body["accepted"] == 1
    # within one batch too: a call, then a survey for it naming someone else
    other_call = {**CALL, "event_id": eid(8), "call_id": "c-2"}
    body = post(client, [other_call, {**stranger, "event_id": eid(9), "call_id": "c-2"}])
    assert [e["outcome"] for e in body["events"]] == ["accepted", "rejected"]
    assert settled(pipeline, 6) == {
        "received": 6,
        "accepted": 3,
        "duplicates": 0,
        "dead_lettered": 3,
    }
    (day,) = agent_day(pipeline)
    assert day["csat_avg"] == 4.0 and agent_day(pipeline, "agent-099") == []


def test_a_survey_for_another_agents_call_is_dead_lettered_from_kafka(pipeline: Pipeline) -> None:
    topics = topics_of(pipeline.settings)
    bootstrap = pipeline.settings.kafka_bootstrap or ""
    produce(bootstrap, topics.telephony, [(b"agent-017", json.dumps(CALL).encode())])
    settled(pipeline, 1)
    stranger = {**SURVEY, "agent_id": "agent-099", "team_id": "team-south"}
    produce(bootstrap, topics.telephony, [(b"agent-099", json.dumps(stranger).encode())])
    assert settled(pipeline, 2)["dead_lettered"] == 1
    (letter,) = dead_letters(bootstrap, topics.telephony_dlq, 1)
    assert (
        dict(letter.headers)["reason"]
        == b"agent_id: call c-88121 was handled by agent-017, not agent-099"
    )
    assert agent_day(pipeline, "agent-099") == []


def test_a_survey_arrived_before_a_call_of_another_agent_moves_to_the_calls_agent_and_is_listed(
    pipeline: Pipeline,
) -> None:
    client = pipeline.client()
    stranger = {**SURVEY, "agent_id": "agent-099", "team_id": "team-south"}
    assert post(client, [stranger])["accepted"] == 1
    settled(pipeline, 1)
    assert [d["csat_avg"] for d in agent_day(pipeline, "agent-099")] == [4.0]
    assert post(client, [CALL])["accepted"] == 1
    assert settled(pipeline, 2)["dead_lettered"] == 0  # answered "accepted": moved, never refused
    # It counts for the agent (and team) who took the call, in the call's buckets...
    assert agent_day(pipeline, "agent-099") == []
    (day,) = agent_day(pipeline)
    assert day["csat_avg"] == 4.0 and day["calls_handled"] == 1
    south = client.get(
        "/v1/teams/team-south/kpis", params={"bucket": "day"}, headers=token("admin", "root")
    )
    assert south.status_code == 404 or south.json()["rows"] == []
    # ...and stays flagged, saying whom it was moved from and to.
    listed = client.get("/v1/telephony/mismatches", headers=token("auditor", "ann")).json()
    assert listed["rows"] == [
        {
            "event_id": SURVEY["event_id"],
            "agent_id": "agent-099",
            "call_id": "c-88121",
            "call_agents": ["agent-017"],
            "moved_from": {"agent_id": "agent-099", "team_id": "team-south"},
            "moved_to": {"agent_id": "agent-017", "team_id": "team-north"},
        }
    ]


def _world(n: int) -> list[dict[str, Any]]:
    """A call of agent-1n in team-n, an interval, and a survey and a QA score naming another
    agent."""
    agent, team, call = f"agent-{n}1", f"team-{n}", f"call-{n}"
    stranger = {"agent_id": f"agent-{n}9", "team_id": f"team-{n}x", "call_id": call}
    return [
        {**SURVEY, **stranger, "event_id": eid(100 * n + 1), "csat": 4},
        {
            "event_id": eid(100 * n + 2),
            "type": "qa.evaluated",
            **stranger,
            "occurred_at": "2026-10-08T09:00:00Z",
            "qa_score": 70.5,
            "evaluator_id": "qa-lead",
        },
        {**INTERVAL, "event_id": eid(100 * n + 3), "agent_id": agent, "team_id": team},
        {**CALL, "event_id": eid(100 * n + 4), "agent_id": agent, "team_id": team, "call_id": call},
    ]


def _produce_promised(bootstrap: str, topic: str, events: list[dict[str, Any]]) -> None:
    """As the HTTP route's inbox publishes what it answered "accepted"."""
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    try:
        for event in events:
            producer.send(
                topic,
                key=event["agent_id"].encode(),
                value=json.dumps(event).encode(),
                headers=[(ACCEPTED_HEADER, b"http")],
            )
        producer.flush(30)
    finally:
        producer.close()


def test_surveys_and_qa_scores_count_for_the_calls_agent_in_either_arrival_order(
    pipeline: Pipeline,
) -> None:
    client, topic = pipeline.client(), topics_of(pipeline.settings).telephony
    survey_first, call_first = _world(1), _world(2)
    post(client, survey_first[:2])
    settled(pipeline, 2)
    post(client, survey_first[2:])
    settled(pipeline, 4)
    post(client, call_first[2:])
    settled(pipeline, 6)
    # The survey and QA score were accepted by HTTP before the call was known (their promise
    # travels with them), and reach the ingestor after it: counted for the call's agent at once.
    _produce_promised(pipeline.settings.kafka_bootstrap or "", topic, call_first[:2])
    assert settled(pipeline, 8)["dead_lettered"] == 0
    admin = token("admin", "root")
    for kind in ("interval", "day", "month"):
        rows = [
            client.get(f"/v1/{scope}/{name}/kpis", params={"bucket": kind}, headers=admin).json()[
                "rows"
            ]
            for scope, name in (
                ("agents", "agent-11"),
                ("agents", "agent-21"),
                ("teams", "team-1"),
                ("teams", "team-2"),
            )
        ]
        assert [(r["csat_avg"], r["qa_avg"], r["calls_handled"]) for r in rows[0]] == [
            (4.0, 70.5, 1)
        ]
        assert (
            rows[0] == rows[1] and rows[2] == rows[3] == rows[0]
        )  # the same, whatever arrived first
    for stranger in ("agent-19", "agent-29"):
        assert agent_day(pipeline, stranger) == []
    messages = [json.dumps(e).encode() for e in [*survey_first, *call_first[2:], *call_first[:2]]]
    assert_api_matches_oracle(client, messages)
    listed = client.get("/v1/telephony/mismatches", headers=admin).json()["rows"]
    assert sorted((r["moved_from"]["agent_id"], r["moved_to"]["agent_id"]) for r in listed) == [
        ("agent-19", "agent-11"),
        ("agent-19", "agent-11"),
        ("agent-29", "agent-21"),
        ("agent-29", "agent-21"),
    ]
    pipeline.stop("ingestor")
    outcome = rebuild(
        pipeline.container.db,
        pipeline.container.app,
        decode_archived,
        lambda *_: None,
        projections=("kpi",),
        check=True,
    )
    assert outcome.differences == []


def test_a_survey_of_a_transferred_call_follows_its_last_leg_until_the_named_agents_leg_arrives(
    pipeline: Pipeline,
) -> None:
    client, admin = pipeline.client(), token("admin", "root")
    survey = {
        **SURVEY,
        "event_id": eid(501),
        "agent_id": "agent-a",
        "team_id": "team-a",
        "call_id": "t-1",
    }
    leg = {**CALL, "call_id": "t-1", "transferred": True}
    waves: list[list[dict[str, Any]]] = [
        [survey],
        [
            {
                **leg,
                "event_id": eid(502),
                "agent_id": "agent-b",
                "team_id": "team-b",
                "occurred_at": "2026-10-05T09:00:00Z",
            }
        ],
        [
            {
                **leg,
                "event_id": eid(503),
                "agent_id": "agent-c",
                "team_id": "team-c",
                "occurred_at": "2026-10-05T09:10:00Z",
            }
        ],
        [
            {
                "event_id": eid(504),
                "type": "event.corrected",
                "agent_id": "agent-a",
                "team_id": "team-a",
                "occurred_at": "2026-10-09T09:00:00Z",
                "corrects": eid(501),
                "reason": "wrong key",
                "event": {**{k: v for k, v in survey.items() if k != "event_id"}, "csat": 1},
            }
        ],
    ]
    sent: list[dict[str, Any]] = []
    for wave in waves:
        assert post(client, wave)["accepted"] == len(wave)
        sent += wave
        settled(pipeline, len(sent))
        assert_api_matches_oracle(client, [json.dumps(e).encode() for e in sent])
    # the last leg (agent-c) holds it, corrected; the first leg never kept it
    assert [(d["csat_avg"], d["calls_handled"]) for d in agent_day(pipeline, "agent-c")] == [
        (1.0, 1)
    ]
    assert [d["csat_avg"] for d in agent_day(pipeline, "agent-b")] == [None]
    listed = client.get("/v1/telephony/mismatches", headers=admin).json()["rows"]
    assert [(r["moved_to"], r["call_agents"]) for r in listed] == [
        ({"agent_id": "agent-c", "team_id": "team-c"}, ["agent-b", "agent-c"])
    ]
    # the agent it names turns out to have taken a leg too: it goes back, and is no longer flagged
    own = {
        **leg,
        "event_id": eid(505),
        "agent_id": "agent-a",
        "team_id": "team-a",
        "occurred_at": "2026-10-05T08:50:00Z",
    }
    post(client, [own])
    sent.append(own)
    settled(pipeline, len(sent))
    assert_api_matches_oracle(client, [json.dumps(e).encode() for e in sent])
    assert [d["csat_avg"] for d in agent_day(pipeline, "agent-a")] == [1.0]
    assert [d["csat_avg"] for d in agent_day(pipeline, "agent-c")] == [None]
    assert client.get("/v1/telephony/mismatches", headers=admin).json()["rows"] == []
    pipeline.stop("ingestor")
    outcome = rebuild(
        pipeline.container.db,
        pipeline.container.app,
        decode_archived,
        lambda *_: None,
        projections=("kpi",),
        check=True,
    )
    assert outcome.differences == []


def test_an_http_accepted_survey_is_never_dead_lettered_later_by_the_ingestor(
    pipeline: Pipeline,
) -> None:
    client = pipeline.client()
    pipeline.stop("ingestor")
    stranger = {**SURVEY, "agent_id": "agent-099", "team_id": "team-south"}
    # Answered while the call is unknown; the call reaches the ingestor first, from Kafka.
    assert post(client, [stranger])["events"][0]["outcome"] == "accepted"
    produce(
        pipeline.settings.kafka_bootstrap or "",
        topics_of(pipeline.settings).telephony,
        [(b"agent-017", json.dumps(CALL).encode())],
    )
    pipeline.start("ingestor")
    found = settled(pipeline, 2)
    assert found["accepted"] == 2 and found["dead_lettered"] == 0


def test_a_reused_event_id_with_other_content_is_a_conflict_keeping_both_versions(
    pipeline: Pipeline,
) -> None:
    client = pipeline.client()
    topics = topics_of(pipeline.settings)
    bootstrap = pipeline.settings.kafka_bootstrap or ""
    original = json.dumps(CALL, separators=(",", ":")).encode()
    assert post(client, [CALL])["accepted"] == 1
    settled(pipeline, 1)
    changed = {**CALL, "talk_seconds": 999.0}
    same_instant = {**CALL, "occurred_at": "2026-10-05T07:14:03Z", "extra": "ignored"}
    body = post(client, [changed, same_instant])
    known = digest(original)
    assert body["events"][0]["outcome"] == "rejected"
    assert (
        body["events"][0]["reason"]
        == f"event_id: conflict: already received with other content (original sha256 {known})"
    )
    assert body["events"][1]["outcome"] == "duplicate"
    produce(
        bootstrap,
        topics.telephony,
        [(b"agent-017", json.dumps({**CALL, "hold_seconds": 1.0}).encode())],
    )
    assert settled(pipeline, 4) == {
        "received": 4,
        "accepted": 1,
        "duplicates": 1,
        "dead_lettered": 2,
    }
    letters = dead_letters(bootstrap, topics.telephony_dlq, 2)
    assert {dict(r.headers)["original-event-sha256"] for r in letters} == {known.encode()}
    assert {dict(r.headers)["source"][:5] for r in letters} == {
        b"http:",
        topics.telephony.encode()[:5],
    }
    archived = pipeline.container.db.query("SELECT payload FROM telephony_archive")
    assert [r["payload"].encode() for r in archived] == [original]  # the original stays
    (day,) = agent_day(pipeline)
    assert day["aht_seconds"] == pytest.approx(288.9)
