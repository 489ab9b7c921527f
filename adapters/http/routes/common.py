"""Shared pieces of the routers: the container, If-Match, ids, answers, docs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response

from aggregates.errors import InvalidValue
from engine.bootstrap import Container
from engine.commands import control_character
from engine.services import Services as ApplicationServices
from engine.services.docs import parse_id as parse_id


def container(request: Request) -> Container:
    return request.app.state.container  # type: ignore[no-any-return]


Services = Annotated[Container, Depends(container)]


def application_services(request: Request) -> ApplicationServices:
    return request.app.state.container.services  # type: ignore[no-any-return]


# What a route calls: one method of one application service (engine/services/).
AppServices = Annotated[ApplicationServices, Depends(application_services)]


IF_MATCH_FORMAT = 'an aggregate version: 1 to 18 digits, plain or quoted (3, "3" or W/"3")'
IF_MATCH_PATTERN = r'^(W/)?"?[0-9]{1,18}"?$'


# openapi_problems.py declares this format on every command; the check below enforces it.
def expected_version(
    if_match: Annotated[str | None, Header()] = None,
) -> int | None:
    """The version named by If-Match (plain or quoted), or None when absent."""
    if if_match is None:
        return None
    text = if_match.strip().removeprefix("W/").strip('"')
    # isdecimal() alone would let "٣" or 5,000 digits through to int(): bound it to ASCII digits.
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise InvalidValue(f"If-Match must be {IF_MATCH_FORMAT}", field="If-Match")
    return int(text)


IfMatch = Annotated[int | None, Depends(expected_version)]


def clean_parameters(request: Request) -> None:
    """Refuses control characters in any path or query value, on every route (422).

    PostgreSQL refuses NUL in text outright, and no id, filter or cursor has a use for them.
    """
    for name, value in [*request.path_params.items(), *request.query_params.multi_items()]:
        found = control_character(str(value))
        if found is not None:
            raise InvalidValue(
                f"{name} must not contain control characters (found U+{ord(found):04X})", field=name
            )


def accepted(aggregate: Any, response: Response, **extra: Any) -> dict[str, Any]:
    """A command's answer: the aggregate's id and new version (also as ETag)."""
    response.headers["ETag"] = str(aggregate.version)
    return {"id": str(aggregate.id), "version": aggregate.version, **extra}


def versioned(doc: dict[str, Any], response: Response) -> dict[str, Any]:
    """A read-model document as answered, its version also as ETag."""
    response.headers["ETag"] = str(doc["version"])
    return doc


def page(items: list[dict[str, Any]], limit: int) -> dict[str, Any]:
    """A page of items with the cursor of the next page (None on the last)."""
    return {"items": items, "next_cursor": items[-1]["id"] if len(items) == limit else None}
