"""The adapters behind the CLI's jobs (rebuild, verify, audit export, bench), wired for
engine/jobs.py and engine/audit_cli.py, which import only the composition root and the engine."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, TextIO
from uuid import UUID

from adapters.sql.export import agent_rows, aggregate_rows, write
from adapters.sql.rebuilder import Outcome
from adapters.sql.rebuilder import rebuild as rebuild_into_fresh_tables
from adapters.sql.verify import Report, verify_against_published
from adapters.telephony.ingestor import decode_archived
from engine.bootstrap.container import Container
from engine.integrity import seal_key
from engine.settings import Settings

Progress = Callable[[str, int, int], None]
Head = tuple[int, str]


def rebuild(
    container: Container, progress: Progress, chosen: Sequence[str], check: bool
) -> Outcome:
    """Rebuilds the chosen read models into fresh tables (and swaps them in unless `check`)."""
    return rebuild_into_fresh_tables(
        container.db,
        container.app,
        decode_archived,
        progress,
        chosen,
        check=check,
        roster=container.roster,
    )


def verify(
    container: Container, events_head: Head | None, archive_head: Head | None, progress: Progress
) -> Report:
    """Checks the store and the archive against their seals, each chain against a kept or
    published head."""
    published = container.published_heads().latest()
    key = seal_key(container.settings.signing_secret())
    return verify_against_published(
        container.db, container.app, key, published, events_head, archive_head, progress=progress
    )


def export_rows(
    container: Container,
    aggregate: UUID | None,
    agent: str | None,
    start: datetime | None,
    end: datetime | None,
) -> Iterator[dict[str, Any]]:
    """The audit export's rows: one aggregate's events, or those of an agent's goals, reviews and
    check-ins."""
    if aggregate is not None:
        return aggregate_rows(container.app, aggregate)
    assert agent is not None
    return agent_rows(container.app, container.db, agent, start, end)


def write_export(rows: Iterator[dict[str, Any]], out: TextIO, form: str) -> int:
    """Writes export rows as JSON lines or CSV; returns how many."""
    return write(rows, out, form)


def bench(settings: Settings, quick: bool) -> int:
    """Runs the benchmark suite and prints its report."""
    from benchmarks.suite import run

    return run(settings, quick=quick)
