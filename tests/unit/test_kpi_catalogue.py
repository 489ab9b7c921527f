"""The KPI catalogue (aggregates/kpis.py) is the only list of KPIs, and everything reads it."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from pydantic import ValidationError

from aggregates.kpis import BY_NAME, CATALOGUE, KPI_NAMES, LOWER_IS_BETTER, Kpi, values
from engine.alert_rules import DeviationRule, GoalStreakRule
from engine.commands import KPIS, GoalFields
from projections.kpi import COUNTERS, empty_sums, kpis

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("aggregates", "engine", "projections", "adapters", "benchmarks")
CATALOGUE_FILE = ROOT / "aggregates" / "kpis.py"


class OnlyDeclared(Mapping[str, int]):
    """Sums that refuse to be read beyond the counters a KPI declares."""

    def __init__(self, allowed: tuple[str, ...], value: int) -> None:
        self.allowed, self.value = allowed, value

    def __getitem__(self, name: str) -> int:
        if name not in self.allowed:
            raise KeyError(f"reads undeclared sum {name}")
        return self.value

    def __iter__(self) -> Iterator[str]:
        return iter(self.allowed)

    def __len__(self) -> int:
        return len(self.allowed)


@pytest.mark.parametrize("kpi", CATALOGUE, ids=lambda k: k.name)
def test_each_formula_reads_only_the_sums_its_entry_names_and_those_exist(kpi: Kpi) -> None:
    assert set(kpi.sums) <= set(COUNTERS)
    assert kpi.formula(OnlyDeclared(kpi.sums, 2)) is not None
    assert kpi.formula(OnlyDeclared(kpi.sums, 0)) is None  # no data is null, never 0


def test_the_read_model_s_kpi_row_is_the_catalogue_s_formulas_in_catalogue_order() -> None:
    sums = dict.fromkeys(COUNTERS, 3)
    assert list(kpis(sums)) == list(KPI_NAMES)
    assert kpis(sums) == values(sums) == {k.name: k.formula(sums) for k in CATALOGUE}
    assert kpis(empty_sums()) == dict.fromkeys(KPI_NAMES)


def test_the_catalogue_keeps_the_kpis_and_directions_the_three_old_copies_agreed_on() -> None:
    assert KPI_NAMES == (
        "calls_handled",
        "aht_seconds",
        "avg_hold_seconds",
        "fcr_rate",
        "transfer_rate",
        "csat_avg",
        "csat_top2_rate",
        "qa_avg",
        "adherence_rate",
        "occupancy_rate",
    )
    assert sorted(LOWER_IS_BETTER) == ["aht_seconds", "avg_hold_seconds", "transfer_rate"]
    assert len(BY_NAME) == len(CATALOGUE)  # names are unique


def test_every_entry_describes_itself_for_the_api_without_code() -> None:
    for kpi in CATALOGUE:
        shown = kpi.describe()
        assert (
            shown["name"] == kpi.name and shown["label"] and shown["unit"] and shown["definition"]
        )
        assert shown["number_format"] in ("integer", "seconds", "percent", "decimal")
        assert shown["better"] in ("higher", "lower")
        assert shown["sums"] == list(kpi.sums)
        assert set(shown["dashboard"]) <= {"chart", "tile"}


def test_a_goal_may_name_each_catalogue_kpi_or_a_manual_measure_and_nothing_else() -> None:
    assert list(KPIS) == [*KPI_NAMES, "manual"]
    fields: dict[str, object] = {
        "team_id": "t",
        "title": "x",
        "target": 1.0,
        "direction": "at_least",
        "period_start": "2026-01-01",
        "period_end": "2026-02-01",
    }
    for name in KPIS:
        assert GoalFields.model_validate({**fields, "kpi": name}).kpi == name
    with pytest.raises(ValidationError):
        GoalFields.model_validate({**fields, "kpi": "vibes"})


def test_alert_rules_accept_each_catalogue_kpi_and_nothing_else() -> None:
    for name in KPI_NAMES:
        assert DeviationRule(kpi=name).kpi == name
    assert GoalStreakRule(kpis=list(KPI_NAMES)).kpis == list(KPI_NAMES)
    with pytest.raises(ValidationError):
        DeviationRule(kpi="manual")


# --- no other module spells a KPI list ---------------------------------------------------

_NAMES = frozenset(KPI_NAMES)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _named(text: str) -> set[str]:
    return {word for word in _WORD.findall(text) if word in _NAMES}


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def python_lists(source: str) -> list[str]:
    """Where a Python module spells two or more KPI names together (see the test's docstring)."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        names: set[str] = set()
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            names = {
                e.value for e in node.elts if isinstance(e, ast.Constant) and e.value in _NAMES
            }
        elif isinstance(node, ast.Dict):
            names = {
                k.value for k in node.keys if isinstance(k, ast.Constant) and k.value in _NAMES
            }
        elif isinstance(node, ast.Call):
            names = {k.arg for k in node.keywords if k.arg in _NAMES}
        elif (
            isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
        ):
            names = _named(node.value)
        if len(names) >= 2:
            found.append(f"line {getattr(node, 'lineno', '?')}: {sorted(names)}")
    return found


def javascript_names(source: str) -> set[str]:
    """The KPI names a script mentions anywhere but in its comments."""
    code = re.sub(r"/\*.*?\*/", "", source, flags=re.DOTALL)
    code = re.sub(r"(?m)(^|[^:\"'`\\])//.*$", r"\1", code)
    return _named(code)


def package_files(root: Path, suffix: str) -> list[Path]:
    return sorted(p for package in PACKAGES for p in (root / package).rglob(f"*{suffix}"))


def test_no_module_but_the_catalogue_spells_a_kpi_list() -> None:
    """Only aggregates/kpis.py lists KPIs; every other module reads it.

    The rule, for Python (an AST walk over every module of the packages but the catalogue):
    a KPI list is a list, tuple, set or dict display (or a subscript like ``Literal[...]``,
    whose slice is a tuple) with two or more distinct KPI names among its own elements or
    keys; a call with two or more KPI names as keyword arguments; or a string (not a
    docstring) naming two or more KPIs as words, such as SQL or a comma-separated list.
    Docstrings and comments may name several KPIs: they explain, they do not decide. A
    single KPI name is allowed (a default, an example, one rule's KPI), and so are displays
    whose elements are themselves structures naming one KPI each (the default alert rules,
    the demo's goal templates): those choose KPIs for a purpose, they do not list what exists.

    For JavaScript (every script of the packages; there is no JavaScript parser in the
    standard library): a script may mention at most one KPI name outside its comments. The
    dashboard gets every KPI from ``GET /v1/kpis``, so it needs at most one (its default
    leaderboard KPI); counting names per file catches a list in any syntax (array, object
    keys, ``Set``, ``switch`` cases, suffix tests) without parsing it.
    """
    spelled = {}
    for path in package_files(ROOT, ".py"):
        if path != CATALOGUE_FILE and (found := python_lists(path.read_text())):
            spelled[str(path.relative_to(ROOT))] = found
    for path in package_files(ROOT, ".js"):
        if len(names := javascript_names(path.read_text())) >= 2:
            spelled[str(path.relative_to(ROOT))] = [f"names {sorted(names)}"]
    assert spelled == {}


@pytest.mark.parametrize(
    "source",
    [
        'KPIS = ("aht_seconds", "fcr_rate")',
        'LOWER = {"aht_seconds", "transfer_rate"}',
        'ROW = {"aht_seconds": 1.0, "csat_avg": 4.2}',
        'Kpi = Literal["aht_seconds", "qa_avg", "manual"]',
        "row = dict(aht_seconds=1, fcr_rate=2)",
        'SQL = "SELECT aht_seconds, fcr_rate FROM kpis"',
    ],
)
def test_the_scan_finds_a_python_kpi_list_in_any_of_its_spellings(source: str) -> None:
    assert python_lists(source)


@pytest.mark.parametrize(
    "source",
    [
        '"""Two KPIs, aht_seconds and fcr_rate, explained."""\nDEFAULT = "aht_seconds"',
        'RULES = (Rule(kpi="aht_seconds"), Rule(kpi="csat_avg"))',
        'def f():\n    """aht_seconds or fcr_rate"""\n'
        '    return {"kpi": "aht_seconds", "value": 1}',
    ],
)
def test_the_scan_leaves_docstrings_single_names_and_one_kpi_per_structure_alone(
    source: str,
) -> None:
    assert python_lists(source) == []


def test_the_scan_counts_kpi_names_in_javascript_code_but_not_in_comments() -> None:
    assert javascript_names('const K = ["aht_seconds", "fcr_rate"];') == {"aht_seconds", "fcr_rate"}
    assert javascript_names("const L = {aht_seconds: 1, qa_avg: 2};") == {"aht_seconds", "qa_avg"}
    assert javascript_names('// aht_seconds, fcr_rate\n/* qa_avg */ let k = "csat_avg"; // x') == {
        "csat_avg"
    }
    assert javascript_names('fetch("http://h/v1/kpis"); const d = "aht_seconds";') == {
        "aht_seconds"
    }
