"""Reading one projected document, in the caller's scope."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from aggregates.errors import NotFound
from engine.callers import Principal
from engine.ports import Documents
from engine.scope import Scope


def parse_id(value: str) -> UUID:
    """An aggregate id from its text; text that is no UUID names no aggregate."""
    try:
        return UUID(value)
    except ValueError:
        raise NotFound(f"no such id {value!r}", id=value) from None


def document(docs: Documents, kind: str, doc_id: str) -> dict[str, Any]:
    """A read-model document, or NotFound."""
    doc = docs.get(kind, doc_id)
    if doc is None:
        raise NotFound(f"no {kind} {doc_id}", id=doc_id)
    return doc


def readable(
    docs: Documents, scope: Scope, who: Principal, kind: str, doc_id: str
) -> dict[str, Any]:
    """A document the caller may read, or NotFound (no such record) / Forbidden (not theirs)."""
    doc = document(docs, kind, doc_id)
    scope.check_read(who, doc)
    return doc


def scoped_page(
    docs: Documents,
    scope: Scope,
    who: Principal,
    kind: str,
    limit: int,
    cursor: str | None,
    agent_id: str | None,
    **filters: str | None,
) -> list[dict[str, Any]]:
    """A page of one kind of record in the caller's scope (an agent sees their own), by id."""
    agent, teams = scope.page_filters(who, agent_id)
    return docs.page(
        kind,
        filters={"agent_id": agent, **filters},
        teams=teams,
        after=cursor,
        limit=limit,
    )
