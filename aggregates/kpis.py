"""The KPI catalogue: every KPI the product knows, in one place, with its math.

Each entry says what a KPI is called and shown as, its unit and number format, which
direction is better, the additive sums (counters of `projections/kpi.py`) it is computed
from, and its formula over those sums. Commands (which KPIs a goal may name), alert rules,
leaderboard ordering, the progress manager, the KPI read model, the OpenAPI examples and
the dashboard (through `GET /v1/kpis`) all read this module; nothing else lists KPIs
(tests/unit/test_kpi_catalogue.py holds that).

Sums are integers in milliseconds (durations) and thousandths (QA scores), so a formula
divides two exact totals; a KPI with no data is None, never 0.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Sums = Mapping[str, int]
Value = int | float | None
NumberFormat = Literal["integer", "seconds", "percent", "decimal"]
Better = Literal["higher", "lower"]
View = Literal["chart", "tile"]


def ratio(numerator: int, denominator: int) -> float | None:
    """A quotient of two totals; a zero denominator means "nothing to measure", not 0."""
    return numerator / denominator if denominator else None


@dataclass(frozen=True)
class Kpi:
    """One KPI: how it is named, shown and judged, and how it follows from the sums."""

    name: str
    label: str
    unit: str
    number_format: NumberFormat
    better: Better
    sums: tuple[str, ...]  # the counters `formula` reads, and no others
    formula: Callable[[Sums], Value]
    definition: str  # the formula in words, as DESIGN.md states it
    example: float  # a plausible value, for the API's documentation
    # Where the dashboard shows it (every KPI can be ranked on the leaderboard).
    dashboard: tuple[View, ...] = ("chart", "tile")

    def describe(self) -> dict[str, Any]:
        """The entry as `GET /v1/kpis` answers it (the formula as its definition)."""
        return {
            "name": self.name,
            "label": self.label,
            "unit": self.unit,
            "number_format": self.number_format,
            "better": self.better,
            "sums": list(self.sums),
            "definition": self.definition,
            "dashboard": list(self.dashboard),
        }


CATALOGUE: tuple[Kpi, ...] = (
    Kpi(
        "calls_handled",
        "Calls handled",
        "calls",
        "integer",
        "higher",
        ("calls", "events"),
        lambda s: s["calls"] if s["events"] else None,
        "count of distinct call.completed",
        41,
    ),
    Kpi(
        "aht_seconds",
        "Average handle time",
        "seconds",
        "seconds",
        "lower",
        ("handle_ms", "calls"),
        lambda s: ratio(s["handle_ms"], s["calls"] * 1000),
        "sum(talk + hold + acw) / calls_handled",
        288.9,
    ),
    Kpi(
        "avg_hold_seconds",
        "Average hold",
        "seconds",
        "seconds",
        "lower",
        ("hold_ms", "calls"),
        lambda s: ratio(s["hold_ms"], s["calls"] * 1000),
        "sum(hold) / calls_handled",
        31.0,
        dashboard=("chart",),
    ),
    Kpi(
        "fcr_rate",
        "First-contact resolution",
        "ratio",
        "percent",
        "higher",
        ("fcr_true", "fcr_known"),
        lambda s: ratio(s["fcr_true"], s["fcr_known"]),
        "resolved_first_contact true / calls where it is not null",
        0.78,
    ),
    Kpi(
        "transfer_rate",
        "Transfer rate",
        "ratio",
        "percent",
        "lower",
        ("transferred", "calls"),
        lambda s: ratio(s["transferred"], s["calls"]),
        "transferred / calls_handled",
        0.07,
    ),
    Kpi(
        "csat_avg",
        "CSAT",
        "score 1..5",
        "decimal",
        "higher",
        ("csat_sum", "csat_count"),
        lambda s: ratio(s["csat_sum"], s["csat_count"]),
        "mean csat",
        4.2,
    ),
    Kpi(
        "csat_top2_rate",
        "CSAT top-2",
        "ratio",
        "percent",
        "higher",
        ("csat_top2", "csat_count"),
        lambda s: ratio(s["csat_top2"], s["csat_count"]),
        "share of csat in {4, 5}",
        0.8,
        dashboard=(),
    ),
    Kpi(
        "qa_avg",
        "QA score",
        "score 0..100",
        "decimal",
        "higher",
        ("qa_milli_sum", "qa_count"),
        lambda s: ratio(s["qa_milli_sum"], s["qa_count"] * 1000),
        "mean qa_score",
        86.0,
    ),
    Kpi(
        "adherence_rate",
        "Adherence",
        "ratio",
        "percent",
        "higher",
        ("adherent_ms", "scheduled_ms"),
        lambda s: ratio(s["adherent_ms"], s["scheduled_ms"]),
        "sum(adherent) / sum(scheduled)",
        0.9,
    ),
    Kpi(
        "occupancy_rate",
        "Occupancy",
        "ratio",
        "percent",
        "higher",
        ("handling_ms", "available_ms"),
        lambda s: ratio(s["handling_ms"], s["available_ms"]),
        "sum(handling) / sum(available)",
        0.77,
    ),
)

BY_NAME: Mapping[str, Kpi] = {kpi.name: kpi for kpi in CATALOGUE}
KPI_NAMES: tuple[str, ...] = tuple(BY_NAME)
LOWER_IS_BETTER: frozenset[str] = frozenset(kpi.name for kpi in CATALOGUE if kpi.better == "lower")


def values(sums: Sums) -> dict[str, Value]:
    """Every KPI of one sums record, by name, in catalogue order."""
    return {kpi.name: kpi.formula(sums) for kpi in CATALOGUE}
