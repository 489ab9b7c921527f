"""One small SQL layer over sqlite3 and psycopg: same SQL text, one transaction helper."""

from __future__ import annotations

import contextlib
import queue
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.event_store import RECONNECT_SECONDS, connect_options
from engine.settings import Settings, sqlite_path

Row = dict[str, Any]
CHECKPOINT_SECONDS = 0.5


@dataclass(frozen=True)
class Timeouts:
    """How long a PostgreSQL call may take before it fails (and the API answers 503)."""

    connect: int = 2
    pool: float = 1.0
    statement: float = 30.0
    pool_size: int = 20

    @classmethod
    def of(cls, settings: Settings) -> Timeouts:
        return cls(
            connect=settings.db_connect_timeout_seconds,
            pool=settings.db_pool_timeout_seconds,
            statement=settings.db_statement_timeout_seconds,
            pool_size=settings.db_pool_size,
        )


class Database:
    """Pooled connections to SQLite or PostgreSQL; SQL is written with '?' placeholders.

    PostgreSQL connections come from a psycopg_pool pool that checks each one before
    handing it out and bounds every wait (Timeouts), so an outage fails calls fast and
    the pool heals by itself. SQLite keeps at most `max_idle` connections; more are
    opened under load and closed when returned, so short-lived threads cannot leak them.
    """

    def __init__(self, url: str, max_idle: int = 8, timeouts: Timeouts | None = None) -> None:
        self.url = url
        self.is_postgres = url.startswith(("postgresql://", "postgres://"))
        self.timeouts = timeouts or Timeouts()
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue(maxsize=max_idle)
        self._closed = False
        self._checkpointer: threading.Thread | None = None
        self._stop = threading.Event()
        self._pool: Any = self._postgres_pool() if self.is_postgres else None

    def _postgres_pool(self) -> Any:
        from psycopg_pool import ConnectionPool

        kwargs = {
            "autocommit": True,
            **connect_options(self.timeouts.connect, self.timeouts.statement),
        }
        return ConnectionPool(
            self.url,
            kwargs=kwargs,
            min_size=1,
            max_size=max(1, self.timeouts.pool_size),
            timeout=self.timeouts.pool,
            reconnect_timeout=RECONNECT_SECONDS,
            check=ConnectionPool.check_connection,
            open=True,
            name="perfledger-read-models",
        )

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """A connection for the duration of the block, returned to the pool afterwards."""
        if self._pool is not None:
            with self._pool.connection() as conn:
                yield conn
            return
        try:
            conn = self._idle.get_nowait()
        except queue.Empty:
            conn = self._connect()
        healthy = False
        try:
            yield conn
            healthy = True
        finally:
            self._give_back(conn, healthy)

    def _give_back(self, conn: Any, healthy: bool) -> None:
        if healthy and not self._closed and not getattr(conn, "closed", False):
            try:
                self._idle.put_nowait(conn)
                return
            except queue.Full:
                pass
        conn.close()

    def _connect(self) -> Any:
        path = sqlite_path(self.url)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        # The archive's random event ids and the KPI sums outgrow the default 2 MB page
        # cache within minutes of ingest; a larger cache and memory-mapped reads keep
        # per-event cost flat as the data grows.
        conn.execute("PRAGMA cache_size=-262144")
        conn.execute("PRAGMA mmap_size=1073741824")
        conn.execute("PRAGMA temp_store=MEMORY")
        # Checkpoints copy the write-ahead log into the database file; done on commit they
        # cost the writer ~12 us an event. A background thread does them instead, and since
        # sqlite3 releases the GIL while it works, on the other core.
        conn.execute("PRAGMA wal_autocheckpoint=0")
        self._start_checkpointer(path)
        return conn

    def sql(self, text: str) -> str:
        return text.replace("?", "%s") if self.is_postgres else text

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """One write transaction: everything inside commits together or not at all."""
        with self.connection() as conn:
            if self.is_postgres:
                with conn.transaction(), conn.cursor() as cur:
                    yield Cursor(self, cur)
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield Cursor(self, conn.cursor())
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def query(self, text: str, params: Sequence[Any] = ()) -> list[Row]:
        """Rows as dicts, outside any write transaction."""
        with self.connection() as conn:
            cur = conn.cursor()
            try:
                cur.execute(self.sql(text), tuple(params))
                names = [d[0] for d in cur.description or ()]
                return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
            finally:
                cur.close()

    def _start_checkpointer(self, path: str) -> None:
        if self._checkpointer is not None:
            return
        self._checkpointer = threading.Thread(
            target=self._checkpoint, args=(path,), daemon=True, name="sqlite-checkpoint"
        )
        self._checkpointer.start()

    def _checkpoint(self, path: str) -> None:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        try:
            while not self._stop.wait(CHECKPOINT_SECONDS):
                with contextlib.suppress(sqlite3.Error):  # busy or closing: the next round takes it
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            conn.close()

    def close(self) -> None:
        self._closed = True
        self._stop.set()
        if self._checkpointer is not None:
            self._checkpointer.join(timeout=10)
        if self._pool is not None:
            self._pool.close()
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


class Cursor:
    """A cursor inside a transaction, translating placeholders for the dialect."""

    def __init__(self, db: Database, cur: Any) -> None:
        self.db = db
        self.cur = cur

    def execute(self, text: str, params: Sequence[Any] = ()) -> Cursor:
        self.cur.execute(self.db.sql(text), tuple(params))
        return self

    def executemany(self, text: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.cur.executemany(self.db.sql(text), [tuple(r) for r in rows])

    @property
    def rowcount(self) -> int:
        """Rows the last statement changed."""
        return int(self.cur.rowcount)

    def rows(self) -> list[Row]:
        names = [d[0] for d in self.cur.description or ()]
        return [dict(zip(names, row, strict=True)) for row in self.cur.fetchall()]

    def one(self) -> Row | None:
        rows = self.rows()
        return rows[0] if rows else None
