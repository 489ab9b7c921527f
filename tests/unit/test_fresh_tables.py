"""A rebuild's views write only into fresh tables: fresh names reach every table and index of a
view."""

from __future__ import annotations

import re

from adapters.sql.archive import ArchiveTables
from adapters.sql.documents_view import DocTables
from adapters.sql.kpi_view import KpiTables
from adapters.sql.parked import ParkedTables
from adapters.sql.seals import SealTables
from adapters.sql.tables import FRESH, TableSet

SETS: list[TableSet] = [
    DocTables(),
    ParkedTables(),
    ArchiveTables(),
    SealTables(),
    *KpiTables().sets(),
]
NAMED = re.compile(r"(?:TABLE IF NOT EXISTS|INDEX IF NOT EXISTS|\bON)\s+(\w+)")


def test_fresh_names_prefix_every_table_and_index_a_view_creates() -> None:
    for tables in SETS:
        names = {
            m.group(1) for statement in tables.fresh().ddl() for m in NAMED.finditer(statement)
        }
        assert names and all(name.startswith(FRESH) for name in names), (
            type(tables).__name__,
            names,
        )


def test_live_names_are_the_fresh_ones_without_the_prefix() -> None:
    for tables in SETS:
        fresh = tables.fresh()
        assert fresh.live() == tables
        assert fresh.tables() == tuple(FRESH + name for name in tables.tables())
        assert fresh.indexes() == tuple(FRESH + name for name in tables.indexes())


def test_the_kpi_model_is_rebuilt_without_its_change_marks() -> None:
    models = {name for tables in KpiTables().sets() for name in tables.models()}
    assert "kpi_sums" in models and "kpi_changes" not in models
