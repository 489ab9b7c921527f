"""Parking: what cannot be applied is set aside with its reason, and the rest goes on.

`isolate` applies a batch inside a savepoint; on a data fault (aggregates/faults.py) it
rolls the savepoint back and bisects, so every message that applies is applied, in
order, and each one that fails alone is handed to `park`. Infrastructure faults are
raised unchanged for the caller to retry. It runs inside the caller's transaction, so
the rows, the parked entries and the positions still commit together.

`parked_events` rows are keyed by (consumer, aggregate id, version). For the events
read models the consumer is `EVENTS` whoever projects them (live projector or rebuild),
and later versions of an aggregate with a parked event are parked too, as waiting
behind it, so a read model stays a prefix of the aggregate's history.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from aggregates.contract import EventEnvelope, encode
from aggregates.faults import REASON_LIMIT, digest, is_data_fault, reason_of, safe_text

T = TypeVar("T")
R = TypeVar("R")
EVENTS = "events"
RELAY = "relay"  # events the relay could not publish: the events models wait behind them too
ID_LIMIT = 200
SAVEPOINT = "perfledger_isolate"


class Cursor(Protocol):
    def execute(self, text: str, params: Sequence[Any] = ()) -> Any: ...
    def rows(self) -> list[dict[str, Any]]: ...


def isolate(
    cur: Cursor, items: Sequence[T], apply: Callable[[Sequence[T]], R],
    park: Callable[[T, BaseException], None],
) -> list[R]:
    """Applies `items` (bisecting around data faults); returns the results of the parts that applied."""
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
        return [*isolate(cur, items[:middle], apply, park), *isolate(cur, items[middle:], apply, park)]
    cur.execute(f"RELEASE SAVEPOINT {SAVEPOINT}")
    return [result]


def park(
    cur: Cursor, consumer: str, aggregate_id: str, version: int, source: str, reason: str, payload: bytes | None,
    waits_behind: int | None = None,
) -> None:
    """Records one unappliable message (or one waiting behind an earlier parked version)."""
    cur.execute(
        "INSERT INTO parked_events (consumer, aggregate_id, version, source, reason, digest, waits_behind, "
        "parked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (consumer, aggregate_id, version) DO UPDATE SET "
        "source = excluded.source, reason = excluded.reason, digest = excluded.digest, "
        "waits_behind = excluded.waits_behind",
        (consumer, safe_text(aggregate_id, ID_LIMIT), version, safe_text(source, ID_LIMIT),
         safe_text(reason, REASON_LIMIT), digest(payload), waits_behind, datetime.now(UTC).isoformat()),
    )


def park_event(
    cur: Cursor, event: EventEnvelope, source: str, error: BaseException | str, waits_behind: int | None = None,
) -> None:
    """Parks a domain event the read models could not take (or one waiting behind such an event)."""
    reason = error if isinstance(error, str) else reason_of(error)
    park(cur, EVENTS, event.id, event.version, source, reason, encode(event), waits_behind)


def store_source(event: EventEnvelope) -> str:
    """Where an event came from when it was read from the event store itself (rebuilds)."""
    return f"store:{event.notification_id}"


def blocked(cur: Cursor, ids: Sequence[str]) -> dict[str, int]:
    """Per aggregate among `ids`: its earliest version parked by the events models or the relay."""
    found: dict[str, int] = {}
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        cur.execute(
            f"SELECT aggregate_id, MIN(version) AS v FROM parked_events WHERE consumer IN (?, ?) "
            f"AND aggregate_id IN ({','.join('?' * len(part))}) GROUP BY aggregate_id",
            (EVENTS, RELAY, *part),
        )
        found.update({row["aggregate_id"]: int(row["v"]) for row in cur.rows()})
    return found
