"""Applies a batch inside a savepoint; on a data fault,
bisects and hands each failing item to `park`.

So every message that applies is applied, in order, and each one that fails alone is
parked (projections/parking.py). Infrastructure faults are raised unchanged for the caller
to retry. It runs inside the caller's transaction, so the rows, the parked entries and the
positions still commit together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from aggregates.faults import is_data_fault

T = TypeVar("T")
R = TypeVar("R")
SAVEPOINT = "perfledger_isolate"


def isolate(
    cur: Any,
    items: Sequence[T],
    apply: Callable[[Sequence[T]], R],
    park: Callable[[T, BaseException], None],
) -> list[R]:
    """Applies `items` (bisecting around data faults);
    returns the results of the parts that applied."""
    if not items:
        return []
    cur.execute(f"SAVEPOINT {SAVEPOINT}")
    try:
        result = apply(items)
    except Exception as error:
        if not is_data_fault(error):
            raise  # the transaction is rolled back by the caller, and retried
        cur.execute(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
        cur.execute(f"RELEASE SAVEPOINT {SAVEPOINT}")
        if len(items) == 1:
            park(items[0], error)
            return []
        middle = len(items) // 2
        return [
            *isolate(cur, items[:middle], apply, park),
            *isolate(cur, items[middle:], apply, park),
        ]
    cur.execute(f"RELEASE SAVEPOINT {SAVEPOINT}")
    return [result]
