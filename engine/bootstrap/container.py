"""The container: the application, the database and every adapter and worker, built from settings.

Nothing else in the packages constructs a publisher, a database, a consumer loop or a Kafka
client (tests/unit/test_composition_root.py holds that): runner, CLI jobs and the API take
what they need from here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from adapters.kafka.client import Bootstrap, Topics, resolve, topics_of
from adapters.kafka.consumer import ConsumerLoop, Handler
from adapters.kafka.life import BrokerLife
from adapters.kafka.publisher import KafkaPublisher
from adapters.kafka.seal_heads import published_heads
from adapters.kafka.supervisor import BrokerSupervisor
from adapters.notify.matcher import DeliveryMatcher, SiteOf
from adapters.notify.overdue_check import OverdueCheck
from adapters.notify.sender import DeliverySender, Smtp
from adapters.notify.worker import DeliveryComponent
from adapters.sql import idempotency
from adapters.sql.alert_source import SqlAlertSource
from adapters.sql.database import Database, Timeouts
from adapters.sql.documents_view import DocView
from adapters.sql.health import health_sink
from adapters.sql.notify_store import SqlDeliveries
from adapters.sql.parked import ParkedView, SqlParking
from adapters.sql.positions import SqlRelayPositions
from adapters.sql.progress_source import SqlProgressSource
from adapters.sql.read_models import (
    SqlDocuments,
    SqlExplanations,
    SqlKpiFigures,
    SqlOperations,
    SqlSealCheck,
    SqlTelephonyRecords,
)
from adapters.sql.roster_view import SqlRoster
from adapters.sql.schema import create_tables
from adapters.sql.sealer import Sealer
from adapters.sql.seals import SqlSnapshotSeals
from adapters.telephony.bounds import Limits
from adapters.telephony.http_intake import HttpIntake
from adapters.telephony.inbox import TelephonyInbox
from adapters.telephony.ingestor import TelephonyIngestor
from engine.alerting import AlertEvaluator
from engine.application import PerfLedger
from engine.authentication import Authenticator
from engine.bootstrap.sso import issuer_tokens, sign_on
from engine.bootstrap.tokens import authenticator, create_token_tables, token_service
from engine.health import HealthBoard
from engine.integrity import seal_key
from engine.progress import GoalProgress
from engine.relay import Relay
from engine.roster_index import UTC_NAME
from engine.seal_heads import PublishedHeads
from engine.services import ReadPorts, Services, services
from engine.settings import Settings, sqlite_path
from engine.sign_on import SignOn
from engine.snapshot_sealing import seal_snapshots
from projections.parking import RELAY
from projections.projector import EventsProjector

if TYPE_CHECKING:
    from fastapi import FastAPI

Worker = (
    Relay
    | ConsumerLoop[EventsProjector]
    | ConsumerLoop[TelephonyIngestor]
    | GoalProgress
    | AlertEvaluator
    | Sealer
    | DeliveryComponent
)


@dataclass
class Started:
    """The workers this process runs, by component name (None: not running here)."""

    relay: Relay | None = None
    projector: ConsumerLoop[EventsProjector] | None = None
    ingestor: ConsumerLoop[TelephonyIngestor] | None = None
    progress: GoalProgress | None = None
    alerts: AlertEvaluator | None = None
    sealer: Sealer | None = None
    delivery: DeliveryComponent | None = None


def private_files(database: Path) -> None:
    """The SQLite file and its journals readable by their owner only, whatever the umask was."""
    for path in (
        database,
        database.with_name(database.name + "-wal"),
        database.with_name(database.name + "-shm"),
    ):
        if path.exists():
            path.chmod(0o600)


def open_database(url: str, settings: Settings | None = None) -> Database:
    """A read-model database; with settings, with their timeouts (else the defaults)."""
    return Database(url) if settings is None else Database(url, timeouts=Timeouts.of(settings))


@dataclass
class Container:
    """Everything a process of perfledger needs, built once and passed down."""

    settings: Settings
    app: PerfLedger
    db: Database
    bootstrap: Bootstrap | None = None  # a callable while the embedded broker is supervised
    health: HealthBoard = field(default_factory=HealthBoard)  # this process's workers, for /readyz
    # Set when the process starts to stop: waits on the broker give up then, so a dead
    # broker cannot hold the stop beyond its budget.
    stopping: threading.Event = field(default_factory=threading.Event)
    broker: BrokerSupervisor | None = None  # the embedded broker this process supervises
    started: Started = field(default_factory=Started)
    # What the API calls (engine/services/); set by `build` once the container exists.
    services: Services = field(init=False)

    def close(self) -> None:
        if hasattr(self, "services"):
            self.services.close()
        self.db.close()
        self.app.close()

    # --- Kafka -------------------------------------------------------------------------

    @property
    def topics(self) -> Topics:
        return topics_of(self.settings)

    def kafka(self) -> Bootstrap:
        """The broker's address (or where to read it); raises when none is configured."""
        if not self.bootstrap:
            raise RuntimeError("no Kafka bootstrap configured")
        return self.bootstrap

    @property
    def broker_address(self) -> str:
        return resolve(self.kafka())

    def publisher(self, timeout: float = 15.0, stoppable: bool = True) -> KafkaPublisher:
        """A publisher of its own (one producer per worker); a stoppable one gives up waiting at
        stop."""
        return KafkaPublisher(
            self.kafka(), self.settings, timeout=timeout, stop=self.stopping if stoppable else None
        )

    def broker_life(self) -> BrokerLife:
        return BrokerLife(self.settings, self.kafka(), self.stopping)

    def consumer_loop(self, handler: Handler) -> ConsumerLoop[Handler]:
        """The shared consumer loop around one batch handler."""
        return ConsumerLoop(self.settings, self.kafka(), self.db, handler, self.health)

    def published_heads(self, prefix: str | None = None) -> PublishedHeads:
        """Where the sealer publishes chain heads: the data directory's file, and Kafka when there
        is one."""
        return published_heads(self.settings, self.bootstrap, prefix)

    @property
    def broker_available(self) -> bool:
        """False while the supervised embedded broker is down (restarting)."""
        return self.broker is None or self.broker.available

    # --- workers -----------------------------------------------------------------------

    def relay(self) -> Relay:
        settings = self.settings
        return Relay(
            self.app,
            self.publisher(),
            self.broker_life(),
            SqlRelayPositions(self.db),
            self.topics.events,
            settings.relay_batch_size,
            settings.life_check_seconds,
            self.health,
            settings.retry_backoff_max_seconds,
            SqlParking(self.db, RELAY),
        )

    def projector(self) -> ConsumerLoop[EventsProjector]:
        topics = self.topics
        return self.consumer_loop(
            EventsProjector(
                topics.events, DocView(), ParkedView(), topics.group("perfledger.projector")
            )
        )

    def ingestor(self) -> ConsumerLoop[TelephonyIngestor]:
        topics, settings = self.topics, self.settings
        handler = TelephonyIngestor(
            topics.telephony,
            topics.telephony_dlq,
            topics.group("perfledger.ingestor"),
            self.publisher(),
            seal_key(settings.signing_secret()),
            Limits.of(settings),
            self.roster,
        )
        return self.consumer_loop(handler)

    def progress(self) -> GoalProgress:
        return GoalProgress(self.app, SqlProgressSource(self.db, self.roster))

    def alerts(self) -> AlertEvaluator:
        return AlertEvaluator(
            self.app, SqlAlertSource(self.db, self.roster), self.settings.alert_lookback_days
        )

    def sealer(self) -> Sealer:
        settings = self.settings
        return Sealer(
            self.app,
            self.db,
            seal_key(settings.signing_secret()),
            every=settings.seal_interval_seconds,
            heads=self.published_heads(),
        )

    def delivery(self) -> DeliveryComponent:
        """The notification component: matcher (own consumer group), sender, overdue check."""
        settings, roster = self.settings, self.roster
        matcher = DeliveryMatcher(
            self.topics.events, self.topics.group("perfledger.delivery"), self.sites
        )
        deliveries = SqlDeliveries(self.db)
        sender = DeliverySender(deliveries, deliveries.target, settings, smtp=Smtp.of(settings))

        def zone_of(team_id: str) -> str:
            team = roster.team(team_id)
            return team.time_zone if team is not None else UTC_NAME

        overdue = OverdueCheck(self.db, zone_of, lambda team_id: self.sites()(team_id))
        return DeliveryComponent(
            self.consumer_loop(matcher), sender, overdue, settings, self.health
        )

    def sites(self) -> SiteOf:
        """The site of each team as the roster stands now (None: a team the roster lacks)."""
        index = self.roster.index()

        def site_of(team_id: str) -> str | None:
            team = index.team(team_id)
            return team.site_id if team is not None else None

        return site_of

    def worker(self, name: str) -> Worker:
        """A new worker for the component `name`, recorded in `started`."""
        builders: dict[str, Callable[[], Worker]] = {
            "relay": self.relay,
            "projector": self.projector,
            "ingestor": self.ingestor,
            "progress": self.progress,
            "alerts": self.alerts,
            "sealer": self.sealer,
            "delivery": self.delivery,
        }
        made = builders[name]()
        setattr(self.started, name, made)
        return made

    # --- what the API needs ------------------------------------------------------------

    @cached_property
    def telephony_publisher(self) -> KafkaPublisher:
        """The HTTP door's publisher of dead letters."""
        return self.publisher(stoppable=False)

    @cached_property
    def inbox(self) -> TelephonyInbox:
        """The process's inbox of HTTP-accepted telephony; `perfledger up` also runs its
        re-publisher."""
        return TelephonyInbox(
            self.db,
            self.topics.telephony,
            # The route's publish only delays a 202 for events already durable: it need not wait
            # long.
            self.publisher(timeout=5.0, stoppable=False),
            self.publisher(),
            self.broker_life(),
            available=lambda: self.broker_available,
        )

    @cached_property
    def authenticator(self) -> Authenticator:
        """Who a bearer token says the caller is (engine/authentication.py)."""
        made = authenticator(self.services.tokens)
        if self.sign_on is not None:  # the OpenID issuer's access tokens too
            made.add(issuer_tokens(self.settings, self.sign_on))
        return made

    @cached_property
    def roster(self) -> SqlRoster:
        """The roster as the engine reads it (the Roster port), caught up with the event store."""
        return SqlRoster(self.app, self.db)

    @cached_property
    def sign_on(self) -> SignOn | None:
        """Single sign-on with the configured OpenID issuer; None when none is configured."""
        return sign_on(self.settings, self.roster)

    def api(self) -> FastAPI:
        """The HTTP API and dashboard over this container."""
        from adapters.http.app import create_app

        return create_app(self)


WORKERS = tuple(f for f in Started.__dataclass_fields__)


def build(
    settings: Settings, bootstrap: Bootstrap | None = None, broker: BrokerSupervisor | None = None
) -> Container:
    """Connects the event store and the read-model database; creates missing tables."""
    settings.private_data_dir()
    app = PerfLedger(env=settings.eventsourcing_env())
    db = open_database(settings.database, settings)
    create_tables(db)
    idempotency.create_table(db)
    create_token_tables(db)
    seal_snapshots(app, seal_key(settings.signing_secret()), SqlSnapshotSeals(db))
    if not settings.is_postgres:
        private_files(Path(sqlite_path(settings.database)))
    container = Container(
        settings=settings,
        app=app,
        db=db,
        bootstrap=bootstrap or settings.kafka_bootstrap,
        health=HealthBoard(sink=health_sink(db)),
        broker=broker,
    )
    container.services = application_services(container)
    return container


def application_services(container: Container) -> Services:
    """The services the API calls, over the SQL read models, with the process's telephony
    publisher and inbox."""
    app, db, settings = container.app, container.db, container.settings
    # Neither connects before its first use: the publisher on its first publish, the inbox
    # (shared with the re-publisher `perfledger up` runs) when the first batch arrives.
    kafka = bool(container.bootstrap)
    intake = HttpIntake(
        db,
        settings,
        container.telephony_publisher if kafka else None,
        (lambda: container.inbox) if kafka else None,
    )
    reads = ReadPorts(
        docs=SqlDocuments(db),
        explanations=SqlExplanations(app, db, container.roster),
        seals=SqlSealCheck(app, db, settings, container.published_heads),
        intake=intake,
        telephony=SqlTelephonyRecords(db),
        figures=SqlKpiFigures(db, container.roster),
        records=SqlOperations(app, db),
        roster=container.roster,
        roster_feed=container.roster,
        deliveries=SqlDeliveries(db),
    )
    broker = {"broker": container.broker} if container.broker is not None else {}
    tokens = token_service(settings, db)
    return services(settings, app, reads, container.health, broker, tokens)
