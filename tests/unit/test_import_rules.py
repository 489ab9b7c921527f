"""What each folder may import (ARCHITECTURE.md, "Where things live"), held by an AST walk.

Dependencies point inward: the domain and the event contract (aggregates/) import nothing of
ours, the read-model builders (projections/) only the domain, the application services
(engine/) the domain and their own ports; the modules that wire adapters together — the
composition root — are the only places where engine/ meets projections/ and adapters/.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = frozenset({"aggregates", "engine", "projections", "adapters", "benchmarks", "tests"})
STDLIB = frozenset(sys.stdlib_module_names)

# Per folder: the packages of ours it may import; `third_party` says whether it may import
# installed libraries beyond the standard library (aggregates/ only eventsourcing.domain).
MAY_IMPORT: dict[str, tuple[frozenset[str], bool]] = {
    "aggregates": (frozenset({"aggregates"}), False),
    "projections": (frozenset({"aggregates", "projections"}), False),
    "engine": (frozenset({"aggregates", "engine"}), True),
    "adapters": (OURS - {"tests"}, True),
    "benchmarks": (OURS - {"tests"}, True),
}
AGGREGATES_LIBRARIES = ("eventsourcing.domain",)

# The composition root: the package that builds adapters and workers and hands them to the
# engine's services (engine/bootstrap/), so it may import every folder but tests/. Runner and
# CLI take what they need from it and import only the engine.
COMPOSITION_ROOT = "engine.bootstrap"


def in_composition_root(module: str) -> bool:
    return module == COMPOSITION_ROOT or module.startswith(COMPOSITION_ROOT + ".")


# Arrows against the rule that are still to be removed, with what removes them. The test
# fails once one is no longer needed, so the list only shrinks.
PENDING: dict[str, frozenset[str]] = {}


def modules(folder: str) -> Iterator[tuple[str, Path]]:
    for path in sorted((ROOT / folder).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def imports(path: Path, module: str) -> Iterator[tuple[int, str]]:
    """Every module `path` imports (also inside functions and TYPE_CHECKING blocks)."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: inside the importing package
                yield node.lineno, module.split(".")[0]
            elif node.module and node.module != "__future__":
                yield node.lineno, node.module


def allowed(folder: str, module: str, imported: str) -> bool:
    top = imported.split(".")[0]
    ours, third_party = MAY_IMPORT[folder]
    if top in STDLIB:
        return True
    if top in OURS:
        extra = PENDING.get(module, frozenset())
        return top in ours or top in extra or (in_composition_root(module) and top != "tests")
    if folder == "aggregates":
        return imported.startswith(AGGREGATES_LIBRARIES)
    return third_party


def violations(folder: str) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {imported}"
        for module, path in modules(folder)
        for line, imported in imports(path, module)
        if not allowed(folder, module, imported)
    ]


@pytest.mark.parametrize("folder", sorted(MAY_IMPORT))
def test_each_folder_imports_only_what_its_rule_allows(folder: str) -> None:
    assert violations(folder) == []


def test_projections_import_neither_engine_nor_adapters() -> None:
    found = [
        (module, imported)
        for module, path in modules("projections")
        for _, imported in imports(path, module)
        if imported.split(".")[0] in {"engine", "adapters"}
    ]
    assert found == []


def test_every_pending_exception_is_still_needed() -> None:
    for module, extra in PENDING.items():
        path = ROOT / (module.replace(".", "/") + ".py")
        used = {imported.split(".")[0] for _, imported in imports(path, module)}
        assert extra <= used, (
            f"{module} no longer imports {sorted(extra - used)}: remove it from PENDING"
        )


def test_the_rule_catches_an_arrow_against_it() -> None:
    assert not allowed("projections", "projections.kpi", "engine.application")
    assert not allowed("projections", "projections.kpi", "pydantic")
    assert not allowed("engine", "engine.relay", "adapters.kafka.publisher")
    assert not allowed("aggregates", "aggregates.goal", "eventsourcing.application")
    assert not allowed("adapters", "adapters.http.app", "tests.support")
    assert not allowed("engine", "engine.runner", "adapters.kafka.publisher")
    assert not allowed("engine", "engine.jobs", "benchmarks.suite")
    assert allowed("engine", "engine.bootstrap.container", "adapters.kafka.publisher")
    assert allowed("aggregates", "aggregates.goal", "eventsourcing.domain")
