"""HTTP conventions: quoted entity tags, 304 on If-None-Match, Location on every 201."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import Pipeline, make_settings, token, wait_until

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
CHECK_IN: dict[str, Any] = {
    "agent_id": "agent-1",
    "team_id": "team-a",
    "held_at": "2026-10-06T10:00:00+00:00",
    "notes": "weekly",
    "goal_ids": [],
    "feedback": [],
    "action_items": [],
}
REVIEW: dict[str, Any] = {
    "agent_id": "agent-1",
    "team_id": "team-a",
    "period_start": "2026-07-01",
    "period_end": "2026-09-30",
    "goal_ids": [],
    "criteria": ["quality"],
}


@pytest.fixture
def projected(tmp_path: Path, broker: Any) -> Iterator[Any]:
    """The API with the relay and projector running, so reads follow commands."""
    pipeline = Pipeline(make_settings(tmp_path, f"sqlite:///{tmp_path / 'p.db'}", broker.bootstrap))
    pipeline.start("relay", "projector")
    try:
        yield pipeline.client()
    finally:
        pipeline.close()


def read_when_projected(client: Any, path: str, version: int) -> Any:
    def current() -> Any:
        response = client.get(path, headers=ADMIN)
        return (
            response
            if response.status_code == 200 and response.json()["version"] == version
            else None
        )

    return wait_until(current, timeout=30)


def test_a_create_answers_a_quoted_tag_and_the_location_to_read_it(projected: Any) -> None:
    created = projected.post("/v1/goals", json=GOAL, headers=ADMIN)
    assert created.status_code == 201
    goal_id = created.json()["id"]
    assert created.headers["ETag"] == '"1"'
    assert created.headers["Location"] == f"/v1/goals/{goal_id}"
    assert read_when_projected(projected, created.headers["Location"], 1).json()["id"] == goal_id


@pytest.mark.parametrize(
    "path, body, read",
    [
        ("/v1/check-ins", CHECK_IN, "/v1/check-ins/{id}"),
        ("/v1/reviews", REVIEW, "/v1/reviews/{id}"),
    ],
)
def test_every_create_names_its_location(
    projected: Any, path: str, body: dict[str, Any], read: str
) -> None:
    created = projected.post(path, json=body, headers=ADMIN)
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == read.format(id=created.json()["id"])


def test_every_command_answer_carries_the_new_version_as_a_quoted_tag(projected: Any) -> None:
    goal_id = projected.post("/v1/goals", json=GOAL, headers=ADMIN).json()["id"]
    revised = projected.post(
        f"/v1/goals/{goal_id}/revise-target",
        json={"target": 280, "reason": "new baseline"},
        headers={**ADMIN, "If-Match": '"1"'},
    )
    assert revised.status_code == 200, revised.text
    assert revised.headers["ETag"] == '"2"'
    stale = projected.post(
        f"/v1/goals/{goal_id}/revise-target",
        json={"target": 270, "reason": "again"},
        headers={**ADMIN, "If-Match": revised.headers["ETag"].replace("2", "1")},
    )
    assert stale.status_code == 409


def test_a_read_of_an_unchanged_document_answers_304_without_a_body(projected: Any) -> None:
    goal_id = projected.post("/v1/goals", json=GOAL, headers=ADMIN).json()["id"]
    first = read_when_projected(projected, f"/v1/goals/{goal_id}", 1)
    assert first.headers["ETag"] == '"1"'
    again = projected.get(
        f"/v1/goals/{goal_id}", headers={**ADMIN, "If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == '"1"'
    weak = projected.get(f"/v1/goals/{goal_id}", headers={**ADMIN, "If-None-Match": 'W/"1", "7"'})
    assert weak.status_code == 304


def test_a_changed_document_is_sent_again_with_its_new_tag(projected: Any) -> None:
    goal_id = projected.post("/v1/goals", json=GOAL, headers=ADMIN).json()["id"]
    read_when_projected(projected, f"/v1/goals/{goal_id}", 1)
    projected.post(
        f"/v1/goals/{goal_id}/revise-target",
        json={"target": 280, "reason": "new baseline"},
        headers=ADMIN,
    )
    read_when_projected(projected, f"/v1/goals/{goal_id}", 2)
    fresh = projected.get(f"/v1/goals/{goal_id}", headers={**ADMIN, "If-None-Match": '"1"'})
    assert fresh.status_code == 200
    assert fresh.headers["ETag"] == '"2"' and fresh.json()["version"] == 2


def test_refusals_and_lists_carry_no_entity_tag(projected: Any) -> None:
    refused = projected.get("/v1/goals/not-a-goal", headers=ADMIN)
    assert refused.status_code == 404 and "ETag" not in refused.headers
    listed = projected.get("/v1/goals?team_id=team-a", headers=ADMIN)
    assert listed.status_code == 200 and "ETag" not in listed.headers
