"""GET /metrics and GET /readyz: ingest counts, relay and consumer lag, request latency."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from adapters.kafka.broker import EmbeddedBroker
from adapters.sql.ingest_counts import counter_totals as ingest_counters
from adapters.sql.positions import save_offsets
from tests.support import Pipeline, make_settings, token, wait_until

INGEST = token("ingest", "pbx")
ADMIN = token("admin", "alice")


def call(n: int) -> dict[str, Any]:
    return {
        "event_id": f"00000000-0000-4000-8000-{n:012d}",
        "type": "call.completed",
        "agent_id": "agent-1",
        "team_id": "team-a",
        "occurred_at": "2026-10-01T10:00:00Z",
        "call_id": f"c{n}",
        "talk_seconds": 100,
        "hold_seconds": 5,
        "acw_seconds": 10,
        "transferred": False,
        "resolved_first_contact": True,
    }


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.fixture
def offline(tmp_path: Path) -> Iterator[Pipeline]:
    running = Pipeline(make_settings(tmp_path, f"sqlite:///{tmp_path / 'm.db'}", None))
    try:
        yield running
    finally:
        running.close()


def test_metrics_count_ingested_and_dead_lettered_events_and_consumer_lag(
    tmp_path: Path, broker: EmbeddedBroker
) -> None:
    pipeline = Pipeline(make_settings(tmp_path, f"sqlite:///{tmp_path / 'm.db'}", broker.bootstrap))
    try:
        pipeline.start("relay", "projector", "ingestor")
        client = pipeline.client()
        events = [call(1), call(2), call(1), {"type": "call.completed"}]
        assert (
            client.post(
                "/v1/telephony/events", content=json.dumps(events), headers=INGEST
            ).status_code
            == 202
        )
        wait_until(lambda: ingest_counters(pipeline.container.db).get("accepted") == 2, timeout=30)
        response = client.get("/metrics")
        assert response.status_code == 200 and response.headers["content-type"].startswith(
            "text/plain"
        )
        found = samples(response.text)
        assert found[("perfledger_telephony_events_total", (("outcome", "accepted"),))] == 2
        assert found[("perfledger_telephony_events_total", (("outcome", "duplicates"),))] == 1
        assert found[("perfledger_telephony_dead_lettered_total", ())] == 1
        ingestor_lags = [
            v
            for (name, labels), v in found.items()
            if name == "perfledger_consumer_lag_records"
            and dict(labels)["consumer"].endswith("perfledger.ingestor")
        ]
        assert ingestor_lags and all(v == 0 for v in ingestor_lags)
    finally:
        pipeline.close()


def test_metrics_report_relay_lag_and_request_latency_by_route_template(offline: Pipeline) -> None:
    client = offline.client()
    goal = {
        "agent_id": "a1",
        "team_id": "t1",
        "title": "AHT",
        "kpi": "aht_seconds",
        "target": 300,
        "direction": "at_most",
        "period_start": "2026-10-01",
        "period_end": "2026-12-31",
    }
    goal_id = client.post("/v1/goals", json=goal, headers=ADMIN).json()["id"]
    client.get(f"/v1/goals/{goal_id}", headers=ADMIN)
    found = samples(client.get("/metrics").text)
    assert found[("perfledger_event_store_position", ())] == 1
    assert found[("perfledger_relay_lag_events", ())] == 1  # no relay runs here
    key = (
        "perfledger_http_request_duration_seconds_count",
        (("method", "GET"), ("route", "/v1/goals/{goal_id}"), ("status", "404")),
    )
    assert found[key] == 1  # the projector does not run either: the goal is not readable yet


def lag(offline: Pipeline, consumer: str, behind: int) -> None:
    with offline.container.db.transaction() as cur:
        save_offsets(cur, consumer, "life-1", {("telephony.events", 0): (10, 10 + behind)})


def test_readyz_is_unready_while_the_ingestor_lags_and_names_it(offline: Pipeline) -> None:
    offline.container.settings.ready_max_lag = 5
    client = offline.client()
    lag(offline, "perfledger.ingestor", 6)
    lag(offline, "perfledger.projector", 5)
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["lagging"] == ["perfledger.ingestor"]
    lag(offline, "perfledger.ingestor", 0)
    assert client.get("/readyz").status_code == 200
