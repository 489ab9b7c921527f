"""The event store on PostgreSQL, bounded in time: eventsourcing's factory, tuned.

eventsourcing builds its psycopg_pool before any connection is made; Factory tunes that
pool (the timeouts eventsourcing has no setting for) and uses recorders without the
library's own retries, so that during a database outage a save or a read fails within
a second or two (the HTTP API answers 503) and, once the database is back, the pool
reconnects on the next request instead of after minutes of exponential back-off.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import InfrastructureFactory, Notification, StoredEvent
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresFactory,
)
from eventsourcing.utils import Environment
from psycopg_pool import ConnectionPool

# How long the pool keeps retrying a lost connection in the background before it lets
# the next request start a fresh attempt (psycopg_pool's default is five minutes, with
# back-off growing to half of that: the pool would stay empty long after an outage).
RECONNECT_SECONDS = 2.0


class OneAttemptAggregateRecorder(PostgresAggregateRecorder):
    """The snapshot store's recorder, each call made once."""

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        return once(PostgresAggregateRecorder.insert_events)(self, stored_events, **kwargs)  # type: ignore[no-any-return]

    def select_events(self, originator_id: UUID | str, **kwargs: Any) -> Sequence[StoredEvent]:
        return once(PostgresAggregateRecorder.select_events)(self, originator_id, **kwargs)  # type: ignore[no-any-return]


class OneAttemptRecorder(PostgresApplicationRecorder):
    """The event store's recorder, each call made once."""

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        return once(PostgresApplicationRecorder.insert_events)(self, stored_events, **kwargs)  # type: ignore[no-any-return]

    def select_events(self, originator_id: UUID | str, **kwargs: Any) -> Sequence[StoredEvent]:
        return once(PostgresApplicationRecorder.select_events)(self, originator_id, **kwargs)  # type: ignore[no-any-return]

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        return once(PostgresApplicationRecorder.select_notifications)(  # type: ignore[no-any-return]
            self, start, limit, stop, topics, inclusive_of_start=inclusive_of_start
        )

    def max_notification_id(self) -> int | None:
        return once(PostgresApplicationRecorder.max_notification_id)(self)  # type: ignore[no-any-return]


class Factory(PostgresFactory):
    """eventsourcing's PostgreSQL persistence with perfledger's timeouts and no retries.

    The library retries every call ten times when the connection fails; with the pool's
    wait that made one save take ten times its timeout during an outage. Each caller
    already decides what to do about a failure (the API answers 503, the workers retry
    with back-off), and retrying an insert whose commit may have happened is no help.
    """

    aggregate_recorder_class = OneAttemptAggregateRecorder
    application_recorder_class = OneAttemptRecorder

    def __init__(self, env: Environment | dict[str, str] | None) -> None:
        super().__init__(env)
        tune(self, self.env)


def once(method: Any) -> Any:
    """The undecorated method: eventsourcing's retry decorator keeps it as __wrapped__."""
    return getattr(method, "__wrapped__", method)


def tune(factory: InfrastructureFactory[Any], env: Environment) -> None:
    """Applies perfledger's PostgreSQL timeouts to a factory's not yet opened pool."""
    pool = getattr(getattr(factory, "datastore", None), "pool", None)
    if not isinstance(pool, ConnectionPool):  # SQLite: no network to wait for
        return
    pool.timeout = float(env.get("PERFLEDGER_POOL_TIMEOUT") or pool.timeout)
    pool.reconnect_timeout = RECONNECT_SECONDS
    if not isinstance(
        pool.kwargs, dict
    ):  # eventsourcing passes a dict; anything else is left alone
        return
    pool.kwargs.update(
        connect_options(
            connect_timeout=int(env.get("PERFLEDGER_CONNECT_TIMEOUT") or 2),
            statement_timeout=float(env.get("PERFLEDGER_STATEMENT_TIMEOUT") or 0),
        )
    )


def connect_options(connect_timeout: int, statement_timeout: float) -> dict[str, Any]:
    """libpq connection parameters: bounded connect, statements, and dead-peer detection."""
    options: dict[str, Any] = {
        "connect_timeout": connect_timeout,
        # A peer that vanished without closing (a cut network) is noticed in seconds.
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 3,
        "tcp_user_timeout": 10_000,
    }
    if statement_timeout > 0:
        options["options"] = f"-c statement_timeout={int(statement_timeout * 1000)}"
    return options
