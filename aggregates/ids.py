"""Ids of new aggregates: random, or derived from a client's idempotency key.

A command run under a seed (its caller and the request's Idempotency-Key) gives the
aggregates it creates ids derived from that seed, in order of creation. A retry of the
command therefore creates the same ids, and the event store's uniqueness of
(aggregate id, version) refuses to store it twice, whatever happened in between.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

NAMESPACE = uuid.UUID("6c1e4c8a-2f5b-5d0e-9a57-3b8e2f7d4c10")


class _Seed:
    def __init__(self, text: str) -> None:
        self.text = text
        self.count = itertools.count()


_seed: ContextVar[_Seed | None] = ContextVar("aggregate_id_seed", default=None)


def new_id(*_: object, **__: object) -> uuid.UUID:
    """The next id for a new aggregate: derived under a seed, else random."""
    seed = _seed.get()
    if seed is None:
        return uuid.uuid4()
    return uuid.uuid5(NAMESPACE, f"{seed.text}#{next(seed.count)}")


def deriving() -> bool:
    """Whether new aggregates get derived ids here (a retried command may find them stored)."""
    return _seed.get() is not None


@contextmanager
def derived_ids(seed: str) -> Iterator[None]:
    """New aggregates created inside the block get ids derived from the seed."""
    token = _seed.set(_Seed(seed))
    try:
        yield
    finally:
        _seed.reset(token)
