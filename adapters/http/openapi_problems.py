"""The problem responses every operation can give, and the If-Match format, in the OpenAPI document.

errors.py decides the statuses at run time; this module tells clients about them, so that
generated clients and /docs know every 4xx and 5xx answer is application/problem+json.
"""

from __future__ import annotations

from typing import Any

from adapters.http.routes.common import IF_MATCH_FORMAT, IF_MATCH_PATTERN

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "An RFC 9457 problem: what went wrong, in words, and for invalid input the fields."
    ),
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "example": "about:blank"},
        "title": {"type": "string", "example": "Invalid input"},
        "status": {"type": "integer", "example": 422},
        "detail": {"type": "string", "example": "agent_id: must contain printable characters only"},
        "errors": {
            "type": "array",
            "description": "for 422: each invalid field and why",
            "items": {
                "type": "object",
                "required": ["field", "reason"],
                "properties": {"field": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
        "ids": {
            "type": "object",
            "description": "the ids a domain error concerns",
            "additionalProperties": {"type": "string"},
        },
        "request_id": {
            "type": "string",
            "description": "the request's id, also in the X-Request-ID "
            "header and in every log line about the request: quote it when reporting a problem",
            "example": "4bf92f3577b34da6a3ce929d0e0e4736",
        },
    },
}
PROBLEMS = {
    "400": "The request could not be read (e.g. a body that is not JSON or is nested too deeply).",
    "401": "No valid bearer token.",
    "403": "The token's role or scope does not allow this.",
    "404": "No such resource.",
    "409": "A rule of the domain or a stale If-Match version refuses the command.",
    "422": "Invalid input: the fields and reasons are listed in `errors`.",
    "500": "An unexpected error; its `request_id` finds the logged traceback.",
}
NEEDS_TOKEN = ("401", "403", "409")


def add_problems(schema: dict[str, Any]) -> None:
    """Declares the problem schema and, on every operation, the problem answers it can give."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for operations in schema["paths"].values():
        for operation in operations.values():
            declare_if_match(operation)
            secured = bool(operation.get("security"))
            responses = operation.setdefault("responses", {})
            for status, description in PROBLEMS.items():
                if status in NEEDS_TOKEN and not secured:
                    continue
                # Replaces FastAPI's own 422 (a shape this API never sends).
                responses[status] = {
                    "description": description,
                    "content": {
                        "application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Problem"}
                        }
                    },
                }
    unused = ("HTTPValidationError", "ValidationError")
    for name in unused:
        schema["components"]["schemas"].pop(name, None)


def declare_if_match(operation: dict[str, Any]) -> None:
    """If-Match as the plain string it is (FastAPI would say "string or null")."""
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "header" and parameter["name"].lower() == "if-match":
            parameter["name"] = "If-Match"
            parameter["description"] = (
                f"Applies the command only at this version (else 409): {IF_MATCH_FORMAT}."
            )
            parameter["schema"] = {
                "type": "string",
                "pattern": IF_MATCH_PATTERN,
                "maxLength": 24,
                "example": "3",
            }
