"""Shared pieces of the routers: the container, If-Match, ids, answers, records."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Header, Request, Response

from adapters.sql.documents_view import get_document
from aggregates.errors import InvalidValue, NotFound
from engine.bootstrap import Container
from engine.commands import control_character


def container(request: Request) -> Container:
    return request.app.state.container  # type: ignore[no-any-return]


Services = Annotated[Container, Depends(container)]


IF_MATCH_FORMAT = "an aggregate version: 1 to 18 digits, plain or quoted (3, \"3\" or W/\"3\")"
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
            raise InvalidValue(f"{name} must not contain control characters (found U+{ord(found):04X})",
                               field=name)


def parse_id(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise NotFound(f"no such id {value!r}", id=value) from None


def accepted(aggregate: Any, response: Response, **extra: Any) -> dict[str, Any]:
    """A command's answer: the aggregate's id and new version (also as ETag)."""
    response.headers["ETag"] = str(aggregate.version)
    return {"id": str(aggregate.id), "version": aggregate.version, **extra}


def document(services: Container, kind: str, doc_id: str) -> dict[str, Any]:
    """A read-model document, or 404."""
    doc = get_document(services.db, kind, doc_id)
    if doc is None:
        raise NotFound(f"no {kind} {doc_id}", id=doc_id)
    return doc


def page(items: list[dict[str, Any]], limit: int) -> dict[str, Any]:
    """A page of items with the cursor of the next page (None on the last)."""
    return {"items": items, "next_cursor": items[-1]["id"] if len(items) == limit else None}
