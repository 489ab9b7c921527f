"""The OpenAPI document declares the problem answers and the If-Match format."""

from __future__ import annotations

import re
from typing import Any

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, ops in schema["paths"].items()
        for method, operation in ops.items()
    ]


def test_every_operation_declares_its_problem_answers_as_problem_json(client: Any) -> None:
    schema = client.get("/openapi.json").json()
    assert {"type", "title", "status", "detail"} <= set(
        schema["components"]["schemas"]["Problem"]["required"]
    )
    for method, path, operation in operations(schema):
        expected = (
            ("400", "401", "403", "404", "409", "422")
            if operation.get("security")
            else ("400", "404", "422")
        )
        for status in expected:
            assert operation["responses"][status]["content"] == PROBLEM, (method, path, status)
    assert "HTTPValidationError" not in schema["components"]["schemas"]


def test_every_command_taking_if_match_declares_its_format(client: Any) -> None:
    schema = client.get("/openapi.json").json()
    declared = [
        (method, path, parameter)
        for method, path, operation in operations(schema)
        for parameter in operation.get("parameters", [])
        if parameter["name"].lower() == "if-match"
    ]
    assert len(declared) > 10
    for method, path, parameter in declared:
        assert method == "post" or method == "put", path
        pattern = re.compile(parameter["schema"]["pattern"])
        assert parameter["schema"]["type"] == "string" and "digits" in parameter["description"]
        assert pattern.match('"3"') and pattern.match("12") and not pattern.match("9" * 19)


def test_a_declared_problem_is_what_the_api_answers(client: Any) -> None:
    response = client.get("/v1/goals")
    assert (
        response.status_code == 401
        and response.headers["content-type"] == "application/problem+json"
    )
    assert {"type", "title", "status", "detail"} <= set(response.json())
