"""Each read-model table is spelled in exactly one module: the one that holds its schema, writes
and reads.

A word match over the packages' source, comments and docstrings included: a table named
anywhere else means SQL (or prose about it) outside its owner. Reads the source text only.
"""

from __future__ import annotations

import re
from pathlib import Path

from adapters.sql.schema import TABLES

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("aggregates", "engine", "projections", "adapters", "benchmarks")
# Words of the public API that happen to equal a table's name: the /readyz answer's field
# `relay_position` (documented in OpenAPI) is the relay's position, not the table.
API_FIELDS = {
    "relay_position": {
        "adapters/http/routes/health.py",
        "adapters/http/openapi_examples.py",
        "engine/services/operations.py",
    }
}


CREATED = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+)")


def sources() -> list[Path]:
    return [path for package in PACKAGES for path in (ROOT / package).rglob("*.py")]


def table_names() -> list[str]:
    """Every table of the schema (names resolved), and any created elsewhere with a literal name."""
    found = {m.group(1) for s in TABLES for m in CREATED.finditer(s)}
    found |= {
        m.group(1) for path in sources() for m in CREATED.finditer(path.read_text(encoding="utf-8"))
    }
    return sorted(found)


def modules_naming(table: str) -> set[str]:
    word = re.compile(rf"\b{re.escape(table)}\b")
    return {
        str(path.relative_to(ROOT))
        for path in sources()
        if word.search(path.read_text(encoding="utf-8"))
    }


def test_the_schema_lists_every_read_model_table() -> None:
    assert {
        "documents",
        "history",
        "kpi_sums",
        "telephony_archive",
        "parked_events",
        "event_seals",
        "idempotency_keys",
    } <= set(table_names())


def test_each_table_is_named_in_exactly_one_module() -> None:
    spread = {}
    for table in table_names():
        found = modules_naming(table) - API_FIELDS.get(table, set())
        if len(found) != 1:
            spread[table] = sorted(found)
    assert spread == {}


def test_projections_hold_no_sql() -> None:
    sql = re.compile(r"\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|CREATE TABLE|SAVEPOINT)\b")
    found = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "projections").rglob("*.py")
        if sql.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []
