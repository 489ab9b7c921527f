"""Actors: who caused an event, as the person acting (``role:person`` or a bare person id)."""

from __future__ import annotations


def person(actor: str) -> str:
    """The person behind an actor; "manager:bob" and "bob" are both bob."""
    # Rules such as "nobody scores their own review" are about people, whatever role
    # their token carries, so they compare persons, not actor strings.
    _, sep, subject = actor.partition(":")
    return subject if sep else actor
