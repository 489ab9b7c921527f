"""Display names next to ids in answers: `<field>_name` beside each id the roster knows.

One `Roster.names()` call per answer, whatever its size: the ids are collected first, then
named together. An id the roster does not know gets no name field at all (absent, not null),
so answers are unchanged where there is no roster. Actor fields (`manager:bob`) are named
after the person behind them. Event payloads (`data`) are left exactly as stored, because the
trail's hash covers them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar, cast

from aggregates.actors import person

T = TypeVar("T")


class NameSource(Protocol):
    """What naming needs of the roster (engine/ports.py's Roster has it)."""

    def names(self, ids: Sequence[str]) -> dict[str, str]: ...


# Fields holding the id of a person, team or site of the roster.
ID_FIELDS = frozenset(
    {
        "agent_id",
        "author_id",
        "owner_id",
        "manager_id",
        "person_id",
        "evaluator_id",
        "team_id",
        "site_id",
    }
)
# Fields holding an actor (`role:person`, or a bare person id): who caused an event.
ACTOR_FIELDS = frozenset(
    {
        "actor",
        "reviewer",
        "manager",
        "set_by",
        "created_by",
        "raised_by",
        "handled_by",
        "acknowledged_by",
        "scored_by",
        "resolved_by",
        "completed_by",
    }
)
# Kept as stored: an event's payload is what its hash covers.
OPAQUE_FIELDS = frozenset({"data"})


def name_field(field: str) -> str:
    """Where a field's name goes: agent_id -> agent_name, actor -> actor_name."""
    return field.removesuffix("_id") + "_name"


NAMED_FIELDS = ID_FIELDS | ACTOR_FIELDS


def roster_id(field: str, value: object) -> str | None:
    """The roster id a field's value names, or None when the field names none."""
    if not isinstance(value, str) or not value:
        return None
    if field in ID_FIELDS:
        return value
    if field in ACTOR_FIELDS:
        return person(value)
    return None


# Answers are JSON: plain dicts and lists (exact type checks keep the walk fast on large pages).
def ids_in(answer: object) -> set[str]:
    """Every roster id the answer's id and actor fields hold, at any depth."""
    found: set[str] = set()
    pending: list[object] = [answer]
    while pending:
        item = pending.pop()
        if type(item) is dict:
            for key, value in item.items():
                if key in NAMED_FIELDS:
                    wanted = roster_id(key, value)
                    if wanted is not None:
                        found.add(wanted)
                elif (type(value) is dict or type(value) is list) and key not in OPAQUE_FIELDS:
                    pending.append(value)
        elif type(item) is list:
            pending.extend(v for v in item if type(v) is dict or type(v) is list)
    return found


def with_names(answer: T, names: Mapping[str, str]) -> T:
    """A copy of the answer with `<field>_name` after each id field the names know."""
    return cast(T, copy_named(answer, names))


def copy_named(answer: Any, names: Mapping[str, str]) -> Any:
    """with_names over plain JSON values."""
    if type(answer) is dict:
        copy: dict[str, Any] = {}
        for key, value in answer.items():
            if key in NAMED_FIELDS:
                copy[key] = value
                wanted = roster_id(key, value)
                named = names.get(wanted) if wanted is not None else None
                target = name_field(key)
                # A name the answer already carries is kept.
                if named is not None and target not in answer:
                    copy[target] = named
            elif key in OPAQUE_FIELDS or not (type(value) is dict or type(value) is list):
                copy[key] = value
            else:
                copy[key] = copy_named(value, names)
        return copy
    if type(answer) is list:
        return [copy_named(v, names) for v in answer]
    return answer


def named(roster: NameSource, answer: T) -> T:
    """The answer with display names beside its ids: at most one `roster.names()` call."""
    ids = ids_in(answer)
    if not ids:
        return answer
    names = roster.names(sorted(ids))
    return with_names(answer, names) if names else answer


def known_fields() -> Iterable[str]:
    """Every field that gets a name beside it, for the API description."""
    return sorted(ID_FIELDS | ACTOR_FIELDS)
