"""The HTTP layer only parses, calls an application service and shapes the answer (ARCHITECTURE.md).

An AST walk over adapters/http holds it: no SQL text, no Kafka client built, no aggregate
loaded, no reach into the application or the database behind the services' back.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

HTTP = Path(__file__).resolve().parents[2] / "adapters" / "http"
FILES = sorted(HTTP.rglob("*.py"))
SQL = re.compile(
    r"\bSELECT\b.+\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b|\bCREATE\s+(TABLE|INDEX)\b"
    r"|\bALTER\s+TABLE\b|\bDROP\s+TABLE\b|\bON\s+CONFLICT\b",
    re.IGNORECASE | re.DOTALL,
)
KAFKA_CLIENTS = {
    "KafkaPublisher",
    "KafkaProducer",
    "KafkaConsumer",
    "KafkaAdminClient",
    "BrokerLife",
    "KafkaHeads",
    "producer",
    "consumer",
    "admin",
}
# Modules the routes would only need to run queries or talk to the broker themselves.
FORBIDDEN_IMPORTS = (
    "kafka",
    "adapters.kafka",
    "adapters.sql",
    "adapters.telephony",
    "psycopg",
    "sqlite3",
)
# The idempotency middleware keeps its keys through adapters/sql/idempotency.py (it wraps every
# route, below the services); errors.py names the database drivers' errors to map them to 503.
ALLOWED_IMPORTS = {
    ("idempotency.py", "adapters.sql"),
    ("errors.py", "psycopg"),
    ("errors.py", "sqlite3"),
}


def test_the_scan_sees_the_http_layer() -> None:
    assert any(path.parent.name == "routes" for path in FILES) and len(FILES) > 10


def strings(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value
        elif isinstance(node, ast.JoinedStr):
            text = "".join(
                v.value
                for v in node.values
                if isinstance(v, ast.Constant) and isinstance(v.value, str)
            )
            yield node.lineno, text


def called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def chain(node: ast.AST) -> str:
    """`a.b.c` of an attribute access, as text (empty where it is not a plain chain)."""
    if isinstance(node, ast.Attribute):
        inner = chain(node.value)
        return f"{inner}.{node.attr}" if inner else ""
    return node.id if isinstance(node, ast.Name) else ""


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(HTTP)) for p in FILES])
def test_no_sql_text_in_the_http_layer(path: Path) -> None:
    tree = ast.parse(path.read_text(), str(path))
    found = [(line, text[:80]) for line, text in strings(tree) if SQL.search(text)]
    assert not found, f"{path.name} holds SQL: {found}"


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(HTTP)) for p in FILES])
def test_the_http_layer_builds_no_kafka_client(path: Path) -> None:
    tree = ast.parse(path.read_text(), str(path))
    built = [
        (node.lineno, called_name(node))
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and called_name(node) in KAFKA_CLIENTS
    ]
    assert not built, f"{path.name} builds Kafka clients: {built}"


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(HTTP)) for p in FILES])
def test_the_http_layer_loads_no_aggregate_and_skips_no_service(path: Path) -> None:
    tree = ast.parse(path.read_text(), str(path))
    # The container's application (`services.app`, `container.app`) and, in routes, its database;
    # `request.app` and a middleware's `self.app` are the ASGI application, not ours.
    reached = {"app", "repository", "recorder"} | (
        {"db"} if path.parent.name == "routes" else set()
    )
    reaches = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in reached:
            owner = chain(node.value).rsplit(".", 1)[-1]
            if owner in ("services", "container") or node.attr in ("repository", "recorder"):
                reaches.append((node.lineno, chain(node) or node.attr))
        if isinstance(node, ast.Call) and called_name(node) == "load":
            reaches.append((node.lineno, "load"))
    assert not reaches, f"{path.name} reaches past the application services: {reaches}"


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(HTTP)) for p in FILES])
def test_the_http_layer_imports_neither_the_database_nor_the_broker(path: Path) -> None:
    tree = ast.parse(path.read_text(), str(path))
    names = [
        (node.lineno, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    ]
    names += [
        (node.lineno, node.module)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and not node.level
    ]
    wrong = [
        (line, name)
        for line, name in names
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN_IMPORTS)
        and not any(
            path.name == file and (name == f or name.startswith(f + "."))
            for file, f in ALLOWED_IMPORTS
        )
    ]
    assert not wrong, f"{path.name} imports {wrong}"
