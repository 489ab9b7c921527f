"""Only the composition root (engine/bootstrap/) constructs publishers, databases, consumers and
Kafka clients.

An AST walk over the packages resolves every call through the module's imports (aliases
included) and fails on a constructor called anywhere but the composition root, the module
that defines it, or the few adapter modules listed below that wrap a client in a class the
root builds.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("aggregates", "engine", "projections", "adapters", "benchmarks")
KAFKA_CLIENTS = frozenset({"KafkaProducer", "KafkaConsumer", "KafkaAdminClient"})

# Constructor (qualified name) -> modules besides the composition root that may call it, and why.
CONSTRUCTORS: dict[str, frozenset[str]] = {
    "adapters.kafka.publisher.KafkaPublisher": frozenset(),
    "adapters.sql.database.Database": frozenset(),
    "adapters.kafka.consumer.ConsumerLoop": frozenset(),
    "adapters.kafka.seal_heads.published_heads": frozenset(),
    # The consumer loop reads the life of the broker it consumes from (its own client).
    "adapters.kafka.life.BrokerLife": frozenset({"adapters.kafka.consumer"}),
    # client.py's factories, called by the adapters that wrap one client each.
    "adapters.kafka.client.producer": frozenset(
        {"adapters.kafka.publisher", "adapters.kafka.life", "adapters.kafka.seal_heads"}
    ),
    "adapters.kafka.client.consumer": frozenset({"adapters.kafka.consumer"}),
    "adapters.kafka.client.reader": frozenset({"adapters.kafka.life", "adapters.kafka.seal_heads"}),
    "adapters.kafka.client.admin": frozenset({"adapters.kafka.seal_heads"}),
    "adapters.kafka.client.answers": frozenset({"adapters.kafka.broker"}),
    "adapters.kafka.client.ensure_topics": frozenset({"adapters.kafka.life", "benchmarks.ingest"}),
    # kafka-python's own classes: only client.py's factories, and the benchmark's raw
    # baselines, which measure bare kafka-python on purpose.
    "kafka.KafkaProducer": frozenset({"adapters.kafka.client", "benchmarks.ingest"}),
    "kafka.KafkaConsumer": frozenset({"adapters.kafka.client", "benchmarks.ingest"}),
    "kafka.KafkaAdminClient": frozenset({"adapters.kafka.client"}),
}


def in_root(module: str) -> bool:
    return module == "engine.bootstrap" or module.startswith("engine.bootstrap.")


def modules() -> Iterator[tuple[str, str]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path.read_text()


def canonical(name: str) -> str:
    """kafka-python's clients by one name, wherever in the kafka package they were imported from."""
    if name.startswith("kafka.") and name.rsplit(".", 1)[-1] in KAFKA_CLIENTS:
        return "kafka." + name.rsplit(".", 1)[-1]
    return name


def names_of(tree: ast.Module, module: str) -> dict[str, str]:
    """Each local name of the module -> the qualified name it stands for (imports anywhere, own
    definitions)."""
    names = {
        node.name: f"{module}.{node.name}"
        for node in tree.body
        if isinstance(node, ast.ClassDef | ast.FunctionDef)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.update({(a.asname or a.name): f"{node.module}.{a.name}" for a in node.names})
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    names[top] = top
    return names


def called(func: ast.expr, names: dict[str, str]) -> str | None:
    """The qualified name a call's function stands for, if it is a (dotted) name we can resolve."""
    if isinstance(func, ast.Name):
        return names.get(func.id)
    if isinstance(func, ast.Attribute):
        base = called(func.value, names)
        return None if base is None else f"{base}.{func.attr}"
    return None


def constructions(source: str, module: str) -> list[tuple[int, str]]:
    """(line, constructor) for every call of a listed constructor in the module's source."""
    tree = ast.parse(source)
    names = names_of(tree, module)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (name := called(node.func, names)) is not None:
            name = canonical(name)
            if name in CONSTRUCTORS:
                found.append((node.lineno, name))
    return found


def forbidden(source: str, module: str) -> list[str]:
    if in_root(module):
        return []
    return [
        f"{module}:{line} constructs {name}"
        for line, name in constructions(source, module)
        if module not in CONSTRUCTORS[name] and name.rsplit(".", 1)[0] != module
    ]


def test_only_the_composition_root_builds_publishers_databases_consumers_kafka_clients() -> None:
    assert [problem for module, source in modules() for problem in forbidden(source, module)] == []


def test_every_allowed_exception_is_still_used() -> None:
    used = {
        (module, name) for module, source in modules() for _, name in constructions(source, module)
    }
    unused = [
        (module, name)
        for name, allowed in CONSTRUCTORS.items()
        for module in allowed
        if (module, name) not in used
    ]
    assert unused == []


def test_the_scan_sees_through_aliases_and_dotted_calls() -> None:
    aliased = "from adapters.kafka.publisher import KafkaPublisher as P\nP('x', None)\n"
    dotted = "import kafka\nkafka.KafkaConsumer()\n"
    deep = "from kafka.producer import KafkaProducer\nKafkaProducer()\n"
    factory = "from adapters.kafka import client\nclient.producer(None, 'x')\n"
    assert forbidden(aliased, "adapters.http.routes.telephony") == [
        "adapters.http.routes.telephony:2 constructs adapters.kafka.publisher.KafkaPublisher"
    ]
    assert forbidden(dotted, "engine.runner") == ["engine.runner:2 constructs kafka.KafkaConsumer"]
    assert forbidden(deep, "adapters.telephony.inbox") == [
        "adapters.telephony.inbox:2 constructs kafka.KafkaProducer"
    ]
    assert forbidden(factory, "engine.jobs") == [
        "engine.jobs:2 constructs adapters.kafka.client.producer"
    ]
    assert forbidden(aliased, "engine.bootstrap.container") == []
    assert (
        forbidden(
            "from adapters.sql.database import Database\nDatabase('x')\n", "adapters.sql.database"
        )
        == []
    )


def test_the_container_names_the_type_of_everything_it_holds() -> None:
    import typing

    from engine.bootstrap import Container, Started

    def mentions_any(hint: object) -> bool:
        return hint is typing.Any or any(mentions_any(arg) for arg in typing.get_args(hint))

    for holder in (Container, Started):
        hints = typing.get_type_hints(holder)
        assert hints and not [name for name, hint in hints.items() if mentions_any(hint)], holder
