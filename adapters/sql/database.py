"""One small SQL layer over sqlite3 and psycopg: same SQL text, one transaction helper."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from engine.settings import sqlite_path

Row = dict[str, Any]


class Database:
    """A connection per thread to SQLite or PostgreSQL; SQL is written with '?' placeholders."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_postgres = url.startswith(("postgresql://", "postgres://"))
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[Any] = []

    def connection(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def _connect(self) -> Any:
        if self.is_postgres:
            import psycopg

            return psycopg.connect(self.url, autocommit=True)
        path = sqlite_path(self.url)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    def sql(self, text: str) -> str:
        return text.replace("?", "%s") if self.is_postgres else text

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """One write transaction: everything inside commits together or not at all."""
        conn = self.connection()
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
        conn = self.connection()
        cur = conn.cursor()
        try:
            cur.execute(self.sql(text), tuple(params))
            names = [d[0] for d in cur.description or ()]
            return [dict(zip(names, row)) for row in cur.fetchall()]
        finally:
            cur.close()

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                try:
                    conn.close()
                except Exception:  # noqa: BLE001 - closing is best effort at shutdown
                    pass
            self._connections.clear()
        self._local = threading.local()


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

    def rows(self) -> list[Row]:
        names = [d[0] for d in self.cur.description or ()]
        return [dict(zip(names, row)) for row in self.cur.fetchall()]

    def one(self) -> Row | None:
        rows = self.rows()
        return rows[0] if rows else None
