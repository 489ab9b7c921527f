"""The composition root: builds the application and its adapters from settings."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.kafka.publisher import KafkaPublisher
from adapters.sql import idempotency
from adapters.sql.database import Database, Timeouts
from adapters.sql.health import health_sink
from adapters.sql.read_models import (
    SqlDocuments,
    SqlExplanations,
    SqlKpiFigures,
    SqlOperations,
    SqlSealCheck,
    SqlTelephonyRecords,
)
from adapters.sql.schema import create_tables
from adapters.sql.snapshot_seals import SqlSnapshotSeals
from adapters.telephony.http_intake import HttpIntake
from adapters.telephony.inbox import inbox_of
from engine.application import PerfLedger
from engine.health import HealthBoard
from engine.integrity import seal_key
from engine.services import ReadPorts, Services, services
from engine.settings import Settings, sqlite_path
from engine.snapshot_seals import seal_snapshots


def private_files(database: Path) -> None:
    """The SQLite file and its journals readable by their owner only, whatever the umask was."""
    for path in (database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
        if path.exists():
            path.chmod(0o600)


@dataclass
class Container:
    """Everything a process of perfledger needs, built once and passed down."""

    settings: Settings
    app: PerfLedger
    db: Database
    bootstrap: str | Callable[[], str] | None = None  # a callable while the embedded broker is supervised
    components: dict[str, Any] = field(default_factory=dict)
    health: HealthBoard = field(default_factory=HealthBoard)  # this process's workers, for /readyz
    # Set when the process starts to stop: waits on the broker give up then, so a dead
    # broker cannot hold the stop beyond its budget.
    stopping: threading.Event = field(default_factory=threading.Event)
    # What the API calls (engine/services/); set by `build` once the container exists.
    services: Services = field(init=False)

    def close(self) -> None:
        self.services.close()
        self.db.close()
        self.app.close()


def build(settings: Settings, bootstrap: str | Callable[[], str] | None = None) -> Container:
    """Connects the event store and the read-model database; creates missing tables."""
    settings.private_data_dir()
    app = PerfLedger(env=settings.eventsourcing_env())
    db = Database(settings.database, timeouts=Timeouts.of(settings))
    create_tables(db)
    idempotency.create_table(db)
    seal_snapshots(app, seal_key(settings.signing_secret()), SqlSnapshotSeals(db))
    if not settings.is_postgres:
        private_files(Path(sqlite_path(settings.database)))
    container = Container(settings=settings, app=app, db=db, bootstrap=bootstrap or settings.kafka_bootstrap,
                          health=HealthBoard(sink=health_sink(db)))
    container.services = application_services(container)
    return container


def application_services(container: Container) -> Services:
    """The services the API calls, over the SQL read models, with the process's telephony publisher and inbox."""
    app, db, settings, bootstrap = container.app, container.db, container.settings, container.bootstrap
    # Neither connects before its first use: a publisher on its first publish, the inbox (shared
    # with the re-publisher `perfledger up` runs) when the first batch arrives.
    publisher = KafkaPublisher(bootstrap, settings) if bootstrap else None
    intake = HttpIntake(db, settings, publisher, (lambda: inbox_of(container)) if bootstrap else None)
    reads = ReadPorts(documents=SqlDocuments(db), explanations=SqlExplanations(app, db),
                      seals=SqlSealCheck(app, db, settings, bootstrap), intake=intake,
                      telephony=SqlTelephonyRecords(db), figures=SqlKpiFigures(db), records=SqlOperations(app, db))
    return services(settings, app, reads, container.health, container.components)
