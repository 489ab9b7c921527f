"""Telling an event the database refuses (poison) from a database that is away (retry).

A poll that fails is retried by the consumer loop; if the failure comes from one event's
content (an integer out of range, text the database cannot hold) the retry fails the same
way forever and every later event waits behind it. So the ingestor applies such a poll
again event by event, each in a savepoint, and dead-letters the events that still fail.
Only faults of the infrastructure (connection lost, database unavailable, a lock timeout)
propagate, to be retried.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count

from adapters.sql.database import Cursor
from aggregates.faults import is_data_fault

_SAVEPOINTS = count()


def is_poison(error: BaseException) -> bool:
    """True when the error comes from the data being applied, not from the database being away."""
    return is_data_fault(error)


@contextmanager
def savepoint(cur: Cursor) -> Iterator[None]:
    """A nested transaction: on an exception what the block wrote is undone,
    and the outer one goes on."""
    name = f"ingest_{next(_SAVEPOINTS)}"
    cur.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        cur.execute(f"ROLLBACK TO SAVEPOINT {name}")
        cur.execute(f"RELEASE SAVEPOINT {name}")
        raise
    cur.execute(f"RELEASE SAVEPOINT {name}")
