"""Request ids on every answer and problem, 500 as problem+json, and the access log (SQLite and
PostgreSQL)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from adapters.http.app import create_app
from tests.support import Pipeline, make_settings, token

ADMIN = token("admin", "alice")
GENERATED = re.compile(r"[0-9a-f]{32}")


class Boom(Exception):
    """A failure no exception handler knows."""


@pytest.fixture
def app(tmp_path: Path, database_url: str) -> Iterator[FastAPI]:
    pipeline = Pipeline(make_settings(tmp_path, database_url, None))
    app = create_app(pipeline.container)

    @app.get("/v1/boom")
    def boom() -> None:
        logging.getLogger("perfledger.test").warning("about to fail")
        raise Boom("the disk is on fire")

    try:
        yield app
    finally:
        pipeline.close()


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["request_id"] == response.headers["X-Request-ID"]
    return body


def test_an_unhandled_error_is_a_500_problem_with_the_request_id_of_its_logged_traceback(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = TestClient(app).get("/v1/boom", headers={"X-Request-ID": "call-42.trace"})
    body = problem(response, 500)
    assert body["request_id"] == "call-42.trace" and body["title"] == "Internal Server Error"
    assert "disk" not in response.text  # the exception's text stays in the log
    [error] = [r for r in caplog.records if r.name == "perfledger.http"]
    assert error.levelno == logging.ERROR and getattr(error, "request_id", None) == "call-42.trace"
    assert error.exc_info is not None and isinstance(error.exc_info[1], Boom)
    assert getattr(error, "route", None) == "/v1/boom"
    [access] = [r for r in caplog.records if r.name == "perfledger.access"]
    assert (
        getattr(access, "status", None) == 500
        and getattr(access, "request_id", None) == "call-42.trace"
    )


def test_framework_refusals_and_successes_carry_a_request_id(app: FastAPI) -> None:
    client = TestClient(app)
    assert GENERATED.fullmatch(problem(client.get("/v1/nope"), 404)["request_id"])
    assert GENERATED.fullmatch(
        problem(client.delete("/v1/goals", headers=ADMIN), 405)["request_id"]
    )
    assert problem(client.get("/v1/goals"), 401)["request_id"]
    assert problem(client.get("/v1/goals?limit=x", headers=ADMIN), 422)["request_id"]
    ok = client.get("/healthz", headers={"X-Request-ID": "lb-7"})
    assert ok.status_code == 200 and ok.headers["X-Request-ID"] == "lb-7"


@pytest.mark.parametrize("given", ["has space", "x" * 129, "tab\there", "é".encode()])
def test_an_unusable_incoming_request_id_is_replaced(app: FastAPI, given: str | bytes) -> None:
    response = TestClient(app).get("/v1/nope", headers={"X-Request-ID": given})
    assert GENERATED.fullmatch(problem(response, 404)["request_id"])


def test_the_access_log_names_route_status_latency_and_principal_but_never_the_token(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    client = TestClient(app)
    client.get("/v1/goals", headers={**ADMIN, "X-Request-ID": "r-1"})
    client.get("/v1/nope/abc", headers=ADMIN)
    first, unmatched = [r for r in caplog.records if r.name == "perfledger.access"]
    fields = {
        k: getattr(first, k, None) for k in ("method", "route", "status", "principal", "request_id")
    }
    assert fields == {
        "method": "GET",
        "route": "/v1/goals",
        "status": 200,
        "principal": "alice",
        "request_id": "r-1",
    }
    latency = getattr(first, "latency_ms", None)
    assert isinstance(latency, float) and latency >= 0
    assert (
        first.getMessage().startswith("GET /v1/goals 200 ")
        and "principal=alice" in first.getMessage()
    )
    # An unknown path has no route template; the path is logged as it came, the caller unknown.
    assert (getattr(unmatched, "route", 0), getattr(unmatched, "path", None)) == (
        None,
        "/v1/nope/abc",
    )
    secret = ADMIN["Authorization"].removeprefix("Bearer ")
    for record in caplog.records:
        assert secret not in record.getMessage() and secret not in repr(vars(record))


def test_the_access_log_names_the_principal_of_a_route_with_a_path_template(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    TestClient(app).get("/v1/goals/no-such-goal", headers=token("auditor", "audrey"))
    [access] = [r for r in caplog.records if r.name == "perfledger.access"]
    assert getattr(access, "route", None) == "/v1/goals/{goal_id}"
    assert (getattr(access, "status", None), getattr(access, "principal", None)) == (404, "audrey")


def test_the_openapi_problem_declares_the_request_id_and_every_operation_its_500(
    app: FastAPI,
) -> None:
    schema = TestClient(app).get("/openapi.json").json()
    assert (
        schema["components"]["schemas"]["Problem"]["properties"]["request_id"]["type"] == "string"
    )
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert "application/problem+json" in operation["responses"]["500"]["content"], (
                method,
                path,
            )
