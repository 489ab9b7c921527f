"""Fuzzing the HTTP API from its own OpenAPI document: no request, valid or not, gets a 5xx.

Schemathesis generates requests for every operation from the document the app serves
(valid and invalid bodies, paths, queries and headers), sent with an admin token, on
SQLite and PostgreSQL. Some requests name aggregates that exist, so commands get past
404 into the domain. Examples per operation are bounded: about a minute per store.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from tests.support import Pipeline, make_settings, token, wait_until

ADMIN = token("admin", "alice")
EXAMPLES_PER_OPERATION = 50
GOAL = {
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


@pytest.fixture
def app(tmp_path: Path, database_url: str, broker: Any) -> Iterator[Any]:
    """The API over each store, with the pipeline running, so reads find what commands wrote
    and telephony batches are accepted."""
    pipeline = Pipeline(make_settings(tmp_path, database_url, broker.bootstrap))
    try:
        pipeline.start("relay", "projector", "ingestor")
        yield pipeline.container.api()
    finally:
        pipeline.close()


def seed(client: TestClient) -> dict[str, str]:
    """A goal, a check-in, a review and templates, so that id paths can name real aggregates."""

    def post(path: str, body: dict[str, Any]) -> str:
        response = client.post(path, json=body, headers=ADMIN)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    goal = post("/v1/goals", GOAL)
    check_in = post(
        "/v1/check-ins",
        {
            "agent_id": "agent-1",
            "team_id": "team-a",
            "goal_ids": [goal],
            "held_at": "2026-10-02T10:00:00+00:00",
            "action_items": [{"description": "shadow", "owner_id": "agent-1", "due": "2026-10-20"}],
        },
    )
    post("/v1/review-templates", {"policy_id": "q4", "criteria": ["quality"], "goal_weight": 0.5})
    review = post(
        "/v1/reviews",
        {
            "agent_id": "agent-1",
            "team_id": "team-a",
            "period_start": "2026-10-01",
            "period_end": "2026-12-31",
            "goal_ids": [goal],
            "policy_id": "q4",
        },
    )
    template = post("/v1/goal-templates", {k: v for k, v in GOAL.items() if k != "agent_id"})
    plan = post(
        "/v1/development-plans",
        {
            "agent_id": "agent-1",
            "team_id": "team-a",
            "period_start": "2026-10-01",
            "period_end": "2026-12-31",
            "objectives": [{"title": "Calmer calls", "goal_id": goal}],
            "actions": [
                {
                    "kind": "reading",
                    "description": "guide",
                    "owner_id": "agent-1",
                    "due": "2026-10-20",
                }
            ],
        },
    )
    return {
        "goal_id": goal,
        "aggregate_id": goal,
        "check_in_id": check_in,
        "review_id": review,
        "template_id": template,
        "plan_id": plan,
        "policy_id": "q4",
        "agent_id": "agent-1",
        "team_id": "team-a",
        "n": "1",
        "index": "0",
    }


def strategy(operation: Any, known: dict[str, str]) -> st.SearchStrategy[Any]:
    """Valid requests, invalid ones, and valid ones on the seeded aggregates."""
    names = {p.name for p in operation.path_parameters}
    fixed = {name: known[name] for name in names if name in known}
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    if fixed:
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=fixed))
    return st.one_of(strategies)


def test_no_generated_request_gets_a_server_error(app: Any) -> None:
    client = TestClient(app, raise_server_exceptions=False)
    known = seed(client)
    wait_until(
        lambda: client.get(f"/v1/reviews/{known['review_id']}", headers=ADMIN).status_code == 200
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the OpenAPI document has an invalid operation: {result}"
        operation = result.ok()

        @given(case=strategy(operation, known))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def no_server_error(case: Any) -> None:
            # The document declares bearer auth, so schemathesis makes up tokens; a made-up
            # token stops every request at 401, so the admin's replaces it (bad tokens have
            # their own tests).
            case.headers = {**(case.headers or {}), **ADMIN}
            response = case.call()
            assert response.status_code < 500, f"{response.status_code}: {response.text[:300]}"

        try:
            no_server_error()
        except Exception as error:  # noqa: BLE001 - every operation gets its turn; all failures are reported
            failures.append(f"{operation.label}: {type(error).__name__}: {error}")
    assert failures == []
