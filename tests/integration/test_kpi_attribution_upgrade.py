"""A database counted before roster attribution existed: filled in on upgrade, then re-cut."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.sql.kpi_attribution import AttributionTables
from adapters.sql.kpi_view import KpiView
from adapters.sql.rebuilder import rebuild
from adapters.sql.schema import create_tables
from adapters.telephony.ingestor import decode_archived
from engine.bootstrap import Container, build
from engine.simulate import simulate
from projections.kpi import COUNTERS
from tests.integration.live import LiveModels
from tests.support import make_settings, seed_roster

TEAMS = """team_id,name,site,time_zone
team-01,Beijing Inbound,beijing,Asia/Shanghai
team-02,Berlin Inbound,berlin,Europe/Berlin
"""


@pytest.fixture
def container(tmp_path: Path, database_url: str) -> Iterator[Container]:
    built = build(make_settings(tmp_path, database_url, None))
    try:
        yield built
    finally:
        built.close()


def sums(container: Container) -> list[dict[str, Any]]:
    return container.db.query("SELECT * FROM kpi_sums ORDER BY scope, scope_id, bucket, start")


def test_sums_counted_before_the_ledger_are_re_cut_in_roster_zones_and_equal_a_rebuild(
    container: Container,
) -> None:
    # Counted as before: no roster, so every day in UTC and telephony's team.
    live = LiveModels(container)
    start, end = datetime(2026, 3, 27, tzinfo=UTC), datetime(2026, 3, 30, tzinfo=UTC)
    live.ingest(
        simulate(agents=6, teams=2, rate=10_000, duration=None, start=start, end=end, seed=5)
    )
    # As the database looked before this version: agents' intervals among the sums, no ledger,
    # no applied roster.
    tables = AttributionTables()
    counters = ", ".join(COUNTERS)
    with container.db.transaction() as cur:
        cur.execute(
            f"INSERT INTO kpi_sums (scope, scope_id, bucket, start, team_id, {counters}) "
            f"SELECT 'agent', agent_id, 'interval', start, MAX(team_id), "
            f"{', '.join(f'SUM({c})' for c in COUNTERS)} FROM {tables.ledger} "
            "GROUP BY agent_id, start"
        )
        for table in tables.tables():
            cur.execute(f"DELETE FROM {table}")
    before = sums(container)
    create_tables(container.db)  # the upgrade fills the ledger from the agents' intervals
    # The roster gives team-01 Beijing's zone (simulate's teams are team-01, team-02).
    seed_roster(container, TEAMS, None)
    view = KpiView(roster=container.roster)
    view.refresh()
    with container.db.transaction() as cur:
        view.sync(cur)
    after = sums(container)
    assert after != before
    days = {r["start"] for r in after if r["scope_id"] == "team-01" and r["bucket"] == "day"}
    assert days and all(d.endswith("T16:00:00+00:00") for d in days)  # Beijing's midnights
    outcome = rebuild(
        container.db,
        container.app,
        decode_archived,
        lambda *_: None,
        projections=("kpi",),
        check=True,
        roster=container.roster,
    )
    assert outcome.differences == []
    leftover = "SELECT COUNT(*) AS n FROM kpi_sums WHERE scope = 'agent' AND bucket = 'interval'"
    assert container.db.query(leftover)[0]["n"] == 0  # moved into the ledger
