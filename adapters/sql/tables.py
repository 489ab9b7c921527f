"""Names of a read model's tables, as a value: the live ones, or fresh ones for a rebuild.

Each read model's module (adapters/sql/*_view.py, archive.py, ...) is the only place that
spells its tables' names; it builds its SQL from a `TableSet`. A rebuild constructs the
same view with `fresh()` names, so it writes beside the live tables without any SQL text
being rewritten, then swaps the fresh tables in (adapters/sql/fresh_tables.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Self

FRESH = "rebuild_"


@dataclass(frozen=True)
class TableSet:
    """Names of some tables under a prefix ("" for the live ones)."""

    prefix: str = ""

    def named(self, base: str) -> str:
        return self.prefix + base

    def fresh(self) -> Self:
        """The same tables under the rebuild's prefix."""
        return replace(self, prefix=FRESH)

    def live(self) -> Self:
        return replace(self, prefix="")

    def tables(self) -> tuple[str, ...]:
        """Every table of the set, in creation order."""
        raise NotImplementedError

    def ddl(self) -> list[str]:
        """CREATE TABLE and CREATE INDEX statements of the set (index names prefixed too)."""
        raise NotImplementedError

    def models(self) -> tuple[str, ...]:
        """The tables a rebuild compares with live and swaps in (the rest are its scratch)."""
        return self.tables()

    def compared(self) -> tuple[str, ...]:
        """The tables `rebuild --check` compares with live (the models, unless a set says)."""
        return self.models()

    def indexes(self) -> tuple[str, ...]:
        """Names of the set's indexes."""
        return ()
