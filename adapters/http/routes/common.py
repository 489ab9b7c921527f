"""Shared pieces of the routers: the container, If-Match, ids, answers, documents."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Header, Request, Response

from adapters.sql.queries import get_document
from aggregates.errors import InvalidValue, NotFound
from engine.bootstrap import Container


def container(request: Request) -> Container:
    return request.app.state.container  # type: ignore[no-any-return]


Services = Annotated[Container, Depends(container)]


def expected_version(if_match: Annotated[str | None, Header()] = None) -> int | None:
    """The version named by If-Match (plain or quoted), or None when absent."""
    if if_match is None:
        return None
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise InvalidValue("If-Match must be an aggregate version number", field="If-Match")
    return int(text)


IfMatch = Annotated[int | None, Depends(expected_version)]


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
