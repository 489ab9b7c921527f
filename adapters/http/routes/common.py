"""Shared pieces of the routers: the container, If-Match, ids."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Header, Request

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
