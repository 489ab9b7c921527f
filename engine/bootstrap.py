"""The composition root: builds the application and its adapters from settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adapters.sql.database import Database
from adapters.sql.schema import create_tables
from engine.application import PerfLedger
from engine.settings import Settings


@dataclass
class Container:
    """Everything a process of perfledger needs, built once and passed down."""

    settings: Settings
    app: PerfLedger
    db: Database
    bootstrap: str | None = None
    components: dict[str, Any] = field(default_factory=dict)

    def close(self) -> None:
        self.db.close()
        self.app.close()


def build(settings: Settings, bootstrap: str | None = None) -> Container:
    """Connects the event store and the read-model database; creates missing tables."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = PerfLedger(env=settings.eventsourcing_env())
    db = Database(settings.database)
    create_tables(db)
    return Container(settings=settings, app=app, db=db, bootstrap=bootstrap or settings.kafka_bootstrap)
