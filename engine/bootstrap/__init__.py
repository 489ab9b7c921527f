"""The composition root: builds the application, every adapter and every worker from settings.

`build` gives a typed `Container` (engine/bootstrap/container.py); `broker.py` finds or starts
the broker; `jobs.py` wires the adapters behind the CLI's jobs. Only this package constructs
publishers, databases, consumer loops and Kafka clients, and only it may import adapters/ and
projections/ from engine/ (tests/unit/test_composition_root.py, test_import_rules.py).
"""

from __future__ import annotations

from adapters.kafka.client import Bootstrap, ensure_topics
from engine.bootstrap.broker import (
    BROKER_ADDRESS,
    TelephonyStream,
    client_bootstrap,
    start_broker,
    telephony_stream,
)
from engine.bootstrap.container import (
    WORKERS,
    Container,
    Started,
    Worker,
    build,
    open_database,
    private_files,
)

__all__ = [
    "BROKER_ADDRESS",
    "WORKERS",
    "Bootstrap",
    "Container",
    "Started",
    "TelephonyStream",
    "Worker",
    "build",
    "client_bootstrap",
    "ensure_topics",
    "open_database",
    "private_files",
    "start_broker",
    "telephony_stream",
]
