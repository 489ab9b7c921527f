"""POST /v1/telephony/events and the KPI routes, over the embedded broker and SQLite."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.kafka.broker import EmbeddedBroker
from adapters.sql.ingest_counts import counter_totals as ingest_counters
from tests.support import Pipeline, make_settings, seed_roster, token, wait_until

INGEST = token("ingest", "pbx-1")
CALL = {
    "event_id": "0b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d01",
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
    "event_id": "0b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d03",
    "type": "survey.completed",
    "agent_id": "agent-017",
    "team_id": "team-north",
    "occurred_at": "2026-10-07T11:00:00Z",
    "call_id": "c-88121",
    "csat": 4,
}


@pytest.fixture
def pipeline(tmp_path: Path, broker: EmbeddedBroker) -> Iterator[Pipeline]:
    running = Pipeline(make_settings(tmp_path, f"sqlite:///{tmp_path / 't.db'}", broker.bootstrap))
    running.start("ingestor")
    try:
        yield running
    finally:
        running.close()


def post(client: Any, body: Any, headers: dict[str, str] = INGEST) -> Any:
    return client.post("/v1/telephony/events", content=json.dumps(body), headers=headers)


def test_a_batch_is_accepted_deduplicated_and_rejected_item_by_item(pipeline: Pipeline) -> None:
    client = pipeline.client()
    bad = {**CALL, "event_id": "0b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d09", "talk_seconds": -1}
    huge = {**SURVEY, "event_id": "0b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d0a", "note": "x" * 70_000}
    response = post(client, [SURVEY, CALL, CALL, bad, "not an object", huge])
    assert response.status_code == 202
    body = response.json()
    assert (body["accepted"], body["duplicates"]) == (2, 1)
    assert [r["index"] for r in body["rejected"]] == [3, 4, 5]
    assert "talk_seconds" in body["rejected"][0]["reason"]
    wait_until(lambda: ingest_counters(pipeline.container.db).get("accepted") == 2, timeout=30)
    assert ingest_counters(pipeline.container.db) == {
        "received": 6,
        "accepted": 2,
        "duplicates": 1,
        "dead_lettered": 3,
    }
    again = post(client, [CALL])
    assert again.json() == {
        "accepted": 0,
        "duplicates": 1,
        "rejected": [],
        "events": [{"index": 0, "event_id": CALL["event_id"], "outcome": "duplicate"}],
    }
    day = client.get("/v1/agents/agent-017/kpis", params={"bucket": "day"}, headers=token()).json()[
        "rows"
    ]
    # the survey arrived first and still counts on the call's day (5 Oct, 07:14 UTC)
    assert [(r["start"], r["calls_handled"], r["csat_avg"]) for r in day] == [
        ("2026-10-05T00:00:00+00:00", 1, 4.0)
    ]
    assert day[0]["aht_seconds"] == pytest.approx(288.9) and day[0]["qa_avg"] is None


@pytest.mark.parametrize(
    "body", ["{not json", '{"an": "object"}', "[" + ",".join(["{}"] * 10_001) + "]"]
)
def test_a_body_that_is_not_a_json_array_is_422(pipeline: Pipeline, body: str) -> None:
    response = pipeline.client().post("/v1/telephony/events", content=body, headers=INGEST)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "body"


def test_only_ingest_tokens_may_post_telephony(pipeline: Pipeline) -> None:
    client = pipeline.client()
    assert post(client, [CALL], headers={}).status_code == 401
    for role in ("manager", "agent", "auditor"):
        assert post(client, [CALL], headers=token(role, "x")).status_code == 403


NORTH_AND_SOUTH = (
    """team_id,name,site,time_zone
team-north,North,hq,UTC
team-south,South,hq,UTC
""",
    """person_id,display_name,email,role,team_id,manages,effective_from
m-north,M North,north@example.com,manager,,team-north,
m-south,M South,south@example.com,manager,,team-south,
agent-017,A 17,a17@example.com,agent,team-north,,2026-01-01
agent-018,A 18,a18@example.com,agent,team-north,,2026-01-01
""",
)


def test_kpi_routes_keep_to_the_callers_scope(pipeline: Pipeline) -> None:
    client = pipeline.client()
    seed_roster(client, *NORTH_AND_SOUTH)
    post(client, [CALL])
    wait_until(lambda: ingest_counters(pipeline.container.db).get("accepted") == 1, timeout=30)
    assert client.get("/v1/agents/agent-017/kpis").status_code == 401
    assert (
        client.get("/v1/agents/agent-017/kpis", headers=token("agent", "agent-017")).status_code
        == 200
    )
    assert (
        client.get("/v1/agents/agent-017/kpis", headers=token("agent", "agent-018")).status_code
        == 403
    )
    assert (
        client.get("/v1/agents/agent-017/kpis", headers=token("manager", "m-north")).status_code
        == 200
    )
    assert (
        client.get("/v1/agents/agent-017/kpis", headers=token("manager", "m-south")).status_code
        == 403
    )
    assert (
        client.get("/v1/teams/team-north/kpis", headers=token("manager", "m-south")).status_code
        == 403
    )
    assert client.get("/v1/teams/team-north/kpis", headers=token("auditor", "a")).status_code == 200
    assert (
        client.get(
            "/v1/agents/agent-017/kpis", params={"bucket": "year"}, headers=token()
        ).status_code
        == 422
    )
    assert (
        client.get(
            "/v1/agents/agent-017/kpis", params={"from": "yesterday"}, headers=token()
        ).status_code
        == 422
    )
    board = client.get(
        "/v1/teams/team-north/leaderboard", params={"kpi": "fcr_rate"}, headers=token()
    ).json()
    assert board["rows"][0]["agent_id"] == "agent-017" and board["rows"][0]["value"] == 1.0
    assert (
        client.get(
            "/v1/teams/team-north/leaderboard", params={"kpi": "mood"}, headers=token()
        ).status_code
        == 422
    )


def test_the_leaderboard_pages_by_rank(pipeline: Pipeline) -> None:
    client = pipeline.client()
    calls = [
        {
            **CALL,
            "event_id": f"0b7e2c1a-4f4e-4c39-9d0e-{n:012d}",
            "agent_id": f"agent-{n:03d}",
            "call_id": f"c-{n}",
            "talk_seconds": 100.0 + n,
        }
        for n in range(5)
    ]
    post(client, calls)
    wait_until(lambda: ingest_counters(pipeline.container.db).get("accepted") == 5, timeout=30)
    ranks, cursor = [], None
    while True:
        page = client.get(
            "/v1/teams/team-north/leaderboard",
            headers=token(),
            params={"kpi": "aht_seconds", "limit": 2, **({"cursor": cursor} if cursor else {})},
        ).json()
        ranks += [(r["rank"], r["agent_id"]) for r in page["rows"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert ranks == [(n + 1, f"agent-{n:03d}") for n in range(5)]  # lower AHT ranks first


def test_the_total_bucket_sums_the_range_from_its_days(pipeline: Pipeline) -> None:
    client = pipeline.client()
    second = {
        **CALL,
        "event_id": "0b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d0b",
        "call_id": "c-2",
        "occurred_at": "2026-10-06T12:00:00Z",
        "talk_seconds": 100.0,
        "hold_seconds": 0.0,
        "acw_seconds": 10.0,
        "resolved_first_contact": None,
    }
    post(client, [CALL, SURVEY, second])
    wait_until(lambda: ingest_counters(pipeline.container.db).get("accepted") == 3, timeout=30)
    params = {"bucket": "total", "from": "2026-10-01", "to": "2026-11-01"}
    for extra in ({}, {"as_known_at": "2030-01-01T00:00:00Z"}):
        (row,) = client.get(
            "/v1/agents/agent-017/kpis", params={**params, **extra}, headers=token()
        ).json()["rows"]
        assert row["start"] == "2026-10-01T00:00:00+00:00" and row["calls_handled"] == 2
        assert row["aht_seconds"] == pytest.approx((288.9 + 110.0) / 2) and row["fcr_rate"] == 1.0
        assert row["csat_avg"] == 4.0
    empty = client.get(
        "/v1/agents/agent-017/kpis",
        headers=token(),
        params={"bucket": "total", "from": "2026-12-01", "to": "2027-01-01"},
    ).json()
    assert empty["rows"] == []


def test_a_body_nested_too_deeply_is_422_not_500(pipeline: Pipeline) -> None:
    body = "[" + "[" * 100_000 + "]" * 100_000 + "]"
    response = pipeline.client().post("/v1/telephony/events", content=body, headers=INGEST)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "body"
