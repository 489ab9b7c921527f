"""Idempotency-Key on creates: a retry answers as the first request did and applies once,
even when the first answer was lost; another request under the key is refused (SQLite and
PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from aggregates.alert import alert_id
from engine.alert_rules import Finding
from engine.alerting import raise_alert
from tests.rosters import TEAMS_AB
from tests.support import Pipeline, make_settings, seed_roster, token

ADMIN = token("admin", "alice")
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
CREATES: dict[str, dict[str, Any]] = {
    "/v1/goals": GOAL,
    "/v1/check-ins": {
        "agent_id": "agent-1",
        "team_id": "team-a",
        "held_at": "2026-10-02T10:00:00+00:00",
        "notes": "1:1",
    },
    "/v1/reviews": {
        "agent_id": "agent-1",
        "team_id": "team-a",
        "period_start": "2026-10-01",
        "period_end": "2026-12-31",
        "criteria": ["quality"],
    },
    "/v1/goal-templates": {key: value for key, value in GOAL.items() if key != "agent_id"},
    "/v1/review-templates": {"policy_id": "standard", "criteria": ["quality"], "goal_weight": 0.5},
}


@pytest.fixture
def pipeline(database_url: str, tmp_path: Path) -> Iterator[Pipeline]:
    started = Pipeline(make_settings(tmp_path, database_url, None))
    try:
        yield started
    finally:
        started.close()


@pytest.fixture
def client(pipeline: Pipeline) -> Any:
    return pipeline.client()


def stored_events(pipeline: Pipeline) -> int:
    return pipeline.container.app.recorder.max_notification_id() or 0


def keyed(key: str, who: dict[str, str] = ADMIN) -> dict[str, str]:
    return {**who, "Idempotency-Key": key}


@pytest.mark.parametrize("path", list(CREATES))
def test_a_retry_with_the_same_key_answers_as_the_first_and_applies_once(
    client: Any,
    pipeline: Pipeline,
    path: str,
) -> None:
    first = client.post(path, json=CREATES[path], headers=keyed("k-1"))
    assert first.status_code == 201, first.text
    events = stored_events(pipeline)

    retry = client.post(path, json=CREATES[path], headers=keyed("k-1"))

    assert (retry.status_code, retry.json()) == (first.status_code, first.json())
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.headers.get("ETag") == first.headers.get("ETag")
    assert stored_events(pipeline) == events


@pytest.mark.parametrize(
    "path", ["/v1/goals", "/v1/check-ins", "/v1/reviews", "/v1/goal-templates"]
)
def test_a_retry_whose_first_answer_was_lost_finds_its_create_and_stores_nothing_twice(
    client: Any,
    pipeline: Pipeline,
    path: str,
) -> None:
    first = client.post(path, json=CREATES[path], headers=keyed("k-lost"))
    events = stored_events(pipeline)
    # The command was stored, but the answer never reached the key's row (a crash or an
    # outage in between): only the request's digest is there.
    with pipeline.container.db.transaction() as cur:
        cur.execute("UPDATE idempotency_keys SET status = NULL, headers = NULL, body = NULL")

    retry = client.post(path, json=CREATES[path], headers=keyed("k-lost"))

    assert retry.status_code == 201, retry.text
    assert retry.json() == first.json()
    assert stored_events(pipeline) == events


def test_a_lost_answer_to_turning_an_alert_into_a_check_in_is_given_again(
    client: Any,
    pipeline: Pipeline,
) -> None:
    finding = Finding(
        key="deviation:aht_seconds:agent-1:2026-10-06",
        rule="deviation",
        team_id="team-a",
        agent_id="agent-1",
        kpi="aht_seconds",
        day=date(2026, 10, 6),
        value=512.0,
        threshold=431.0,
        summary="AHT high",
    )
    assert raise_alert(pipeline.container.app, finding)
    path = f"/v1/alerts/{alert_id(finding.key)}/check-in"
    first = client.post(path, json={}, headers=keyed("k-alert"))
    events = stored_events(pipeline)
    with pipeline.container.db.transaction() as cur:
        cur.execute("UPDATE idempotency_keys SET status = NULL, headers = NULL, body = NULL")

    retry = client.post(path, json={}, headers=keyed("k-alert"))

    assert first.status_code == retry.status_code == 201, retry.text
    assert retry.json() == first.json()
    assert stored_events(pipeline) == events


def test_the_same_key_with_another_request_is_refused_and_changes_nothing(
    client: Any, pipeline: Pipeline
) -> None:
    client.post("/v1/goals", json=GOAL, headers=keyed("k-2"))
    events = stored_events(pipeline)

    other = client.post("/v1/goals", json={**GOAL, "target": 200}, headers=keyed("k-2"))
    elsewhere = client.post("/v1/check-ins", json=CREATES["/v1/check-ins"], headers=keyed("k-2"))

    for response in (other, elsewhere):
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert stored_events(pipeline) == events


def test_keys_belong_to_their_caller(client: Any) -> None:
    seed_roster(client, *TEAMS_AB)
    mine = client.post("/v1/goals", json=GOAL, headers=keyed("shared"))
    theirs = client.post("/v1/goals", json=GOAL, headers=keyed("shared", token("manager", "bob")))
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]


def test_a_refused_request_leaves_its_key_free_for_the_corrected_one(client: Any) -> None:
    refused = client.post("/v1/goals", json={**GOAL, "weight": -1}, headers=keyed("k-3"))
    corrected = client.post("/v1/goals", json=GOAL, headers=keyed("k-3"))
    assert (refused.status_code, corrected.status_code) == (422, 201)


def test_a_retry_on_a_command_is_answered_once(client: Any, pipeline: Pipeline) -> None:
    goal_id = client.post("/v1/goals", json=GOAL, headers=ADMIN).json()["id"]
    body = {"target": 250, "reason": "new baseline"}
    first = client.post(f"/v1/goals/{goal_id}/revise-target", json=body, headers=keyed("k-4"))
    retry = client.post(f"/v1/goals/{goal_id}/revise-target", json=body, headers=keyed("k-4"))
    assert first.json() == retry.json() == {"id": goal_id, "version": 2}


@pytest.mark.parametrize("key", ["", "x" * 256, "na\xefve".encode("latin-1"), "with space"])
def test_a_malformed_key_is_422(client: Any, key: str | bytes) -> None:
    response = client.post("/v1/goals", json=GOAL, headers={**ADMIN, "Idempotency-Key": key})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"


def test_without_a_key_every_post_creates(client: Any) -> None:
    ids = {client.post("/v1/goals", json=GOAL, headers=ADMIN).json()["id"] for _ in range(2)}
    assert len(ids) == 2


def test_the_openapi_document_declares_the_header_on_creates(client: Any) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/v1/goals"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in operation["parameters"]]
