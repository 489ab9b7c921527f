"""Shared fixtures: the session's embedded broker, fresh PostgreSQL databases, settings."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

POSTGRES_SERVER = os.environ.get(
    "PERFLEDGER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
POSTGRES_MISSING = """PostgreSQL is not reachable at {server} ({error}).
The PostgreSQL tests need a server there with trust auth and a database `test`, for example
on Debian or Ubuntu, as root:
    apt-get install -y postgresql
    # put `host all all 127.0.0.1/32 trust` first in /etc/postgresql/*/main/pg_hba.conf, then:
    pg_ctlcluster $(ls /etc/postgresql) main start && su postgres -c 'createdb test'
or name another server: PERFLEDGER_TEST_POSTGRES=postgresql://user@host:port/db
(or run only tests that need no PostgreSQL, e.g. tests/unit). Nothing is skipped instead."""


def needs_postgres(item: pytest.Item) -> bool:
    """Whether a collected test uses a PostgreSQL database from the server."""
    if "postgres_url" in getattr(item, "fixturenames", ()):
        return True
    callspec = getattr(item, "callspec", None)
    return callspec is not None and callspec.params.get("database_url") == "postgres"


def postgres_problem() -> str | None:
    """Why the test PostgreSQL server cannot be used, or None when it can."""
    import psycopg

    try:
        with psycopg.connect(POSTGRES_SERVER, autocommit=True, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A missing server stops the run before any test, saying what to start: CI fails hard
    # and a newcomer learns the fix, instead of a wall of connection errors (never a skip).
    if not any(needs_postgres(item) for item in items):
        return
    problem = postgres_problem()
    if problem is not None:
        pytest.exit(
            POSTGRES_MISSING.format(server=POSTGRES_SERVER, error=problem),
            returncode=pytest.ExitCode.USAGE_ERROR,
        )


@pytest.fixture(scope="session")
def broker() -> Iterator[object]:
    """One embedded broker for the whole session, on a free loopback port."""
    from adapters.kafka.broker import EmbeddedBroker

    started = EmbeddedBroker().start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    import psycopg

    name = f"perfledger_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_SERVER, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_SERVER.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(POSTGRES_SERVER, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store the product supports: a SQLite file, and a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'perfledger.db'}"
    return str(request.getfixturevalue("postgres_url"))
