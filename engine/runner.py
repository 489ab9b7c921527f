"""`perfledger up`: broker (unless one is named), relay, projector and API in one process."""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from typing import Any

from adapters.kafka.broker import EmbeddedBroker
from adapters.kafka.client import Bootstrap, ensure_topics, resolve, topics_of
from adapters.kafka.consumer import ConsumerLoop
from adapters.kafka.life import BrokerLife
from adapters.kafka.publisher import KafkaPublisher
from adapters.kafka.seal_heads import published_heads
from adapters.kafka.supervisor import BrokerSupervisor
from adapters.sql.alert_source import SqlAlertSource
from adapters.sql.documents_view import DocView
from adapters.sql.parked import ParkedView, SqlParking
from adapters.sql.positions import SqlRelayPositions
from adapters.sql.progress_source import SqlProgressSource
from adapters.sql.sealer import Sealer
from adapters.telephony.bounds import Limits
from adapters.telephony.inbox import inbox_of
from adapters.telephony.ingestor import TelephonyIngestor
from engine.alerting import AlertEvaluator
from engine.bootstrap import Container, build
from engine.integrity import seal_key
from engine.liveness import WorkerThread, heartbeat
from engine.progress import GoalProgress
from engine.relay import Relay
from engine.settings import Settings
from projections.parking import RELAY
from projections.projector import EventsProjector

log = logging.getLogger("perfledger")
COMPONENTS = ("api", "relay", "projector", "ingestor", "progress", "alerts", "sealer")
BROKER_ADDRESS = "broker.address"


def start_broker(settings: Settings, stack: ExitStack) -> tuple[Bootstrap, BrokerSupervisor | None]:
    """The Kafka bootstrap address: the configured one, or that of a supervised embedded broker."""
    if settings.kafka_bootstrap:
        return settings.kafka_bootstrap, None
    settings.private_data_dir()
    broker = EmbeddedBroker(log_path=settings.data_dir / "broker.log")
    stack.callback(broker.stop)
    broker.start()
    supervisor = BrokerSupervisor(broker, settings.data_dir / BROKER_ADDRESS, settings.broker_restart_seconds)
    stack.callback(supervisor.close)
    return supervisor.start().address, supervisor


def client_bootstrap(settings: Settings) -> Bootstrap | None:
    """The broker a client command should use: the configured one, or that of a running `up`.

    The embedded broker's address is re-read whenever the client reconnects: a broker that
    `up` restarted may have come back on another port."""
    if settings.kafka_bootstrap:
        return settings.kafka_bootstrap
    address = settings.data_dir / BROKER_ADDRESS
    if not address.exists():
        return None
    last = [address.read_text().strip()]

    def current() -> str:
        # When `up` stopped the file is gone: keep the last address; the client's own errors say the rest.
        with contextlib.suppress(OSError):
            last[0] = address.read_text().strip() or last[0]
        return last[0]

    return current


def start_demo(container: Container, stop: threading.Event) -> threading.Thread:
    """Streams a simulated contact centre (50 agents, 5 teams) into the running system."""
    from datetime import UTC, datetime, timedelta

    from engine.demo import seed
    from engine.simulate import simulate
    from engine.streaming import stream_paced

    assert container.bootstrap
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    seed(container.app, container.settings.data_dir, 50, 5, (today - timedelta(days=14)).date())
    # A burst of the past that ends about now (50 agents in shifts send ~260 events per
    # simulated hour), then a trickle at real time (events are held until their time: the
    # ingestor refuses the future): the embedded broker keeps every message in memory, so
    # the demo must not flood it.
    rate, duration, burst = 0.25, 30 * 86400.0, 50_000
    burst_span = timedelta(hours=burst / 260)
    messages = _not_ahead_of_clock(simulate(
        agents=50, teams=5, rate=rate, duration=duration, bad_fraction=0.02,
        seed=1, start=(datetime.now(UTC) - burst_span).replace(minute=0, second=0, microsecond=0)), stop)
    publisher = KafkaPublisher(container.bootstrap, container.settings, stop=container.stopping)
    topic = topics_of(container.settings).telephony

    def run() -> None:
        try:
            stream_paced(messages, publisher, topic, rate, int(rate * duration), lambda *_: None, stop.is_set,
                         burst=burst)
        except Exception as error:  # noqa: BLE001 - the demo stream must not take the system down
            log.warning("demo stream stopped: %s", error)
        finally:
            publisher.close()

    thread = threading.Thread(target=run, name="perfledger-demo", daemon=True)
    thread.start()
    log.info("demo: streaming a simulated contact centre: %d events at once, then %.2f/s", burst, rate)
    return thread


def _not_ahead_of_clock(messages: Iterable[tuple[bytes, bytes]], stop: threading.Event) -> Iterator[tuple[bytes, bytes]]:
    """Holds each simulated event until its time has come: telephony from the future is refused."""
    from datetime import UTC, datetime

    for key, value in messages:
        try:
            ahead = (datetime.fromisoformat(json.loads(value)["occurred_at"]) - datetime.now(UTC)).total_seconds()
        except (ValueError, KeyError, TypeError):  # the simulator's deliberately broken messages
            ahead = 0.0
        if ahead > 0 and stop.wait(ahead):
            return
        yield key, value


def relay_for(container: Container) -> Relay:
    assert container.bootstrap
    publisher = KafkaPublisher(container.bootstrap, container.settings, stop=container.stopping)
    return Relay(
        container.app, publisher, BrokerLife(container.settings, container.bootstrap, container.stopping),
        SqlRelayPositions(container.db), topics_of(container.settings).events,
        container.settings.relay_batch_size, container.settings.life_check_seconds, container.health,
        container.settings.retry_backoff_max_seconds, SqlParking(container.db, RELAY),
    )


def projector_for(container: Container) -> ConsumerLoop:
    assert container.bootstrap
    topics = topics_of(container.settings)
    handler = EventsProjector(topics.events, DocView(), ParkedView(), topics.group("perfledger.projector"))
    return ConsumerLoop(container.settings, container.bootstrap, container.db, handler, container.health)


def ingestor_for(container: Container) -> ConsumerLoop:
    assert container.bootstrap
    topics = topics_of(container.settings)
    handler = TelephonyIngestor(topics.telephony, topics.telephony_dlq, topics.group("perfledger.ingestor"),
                                KafkaPublisher(container.bootstrap, container.settings, stop=container.stopping),
                                seal_key(container.settings.signing_secret()), Limits.of(container.settings))
    return ConsumerLoop(container.settings, container.bootstrap, container.db, handler, container.health)


def progress_for(container: Container) -> GoalProgress:
    return GoalProgress(container.app, SqlProgressSource(container.db))


def alerts_for(container: Container) -> AlertEvaluator:
    return AlertEvaluator(container.app, SqlAlertSource(container.db), container.settings.alert_lookback_days)


def sealer_for(container: Container) -> Sealer:
    settings = container.settings
    heads = published_heads(settings, container.bootstrap)
    return Sealer(container.app, container.db, seal_key(settings.signing_secret()),
                  every=settings.seal_interval_seconds, heads=heads)


WORKERS = {"relay": relay_for, "projector": projector_for, "ingestor": ingestor_for, "progress": progress_for,
           "alerts": alerts_for, "sealer": sealer_for}


def start_inbox(container: Container) -> threading.Thread:
    """Re-publishes HTTP-accepted telephony that the broker's current life lacks (beside the API that accepted it)."""
    inbox = inbox_of(container)
    thread = WorkerThread("inbox", inbox.run, container.stopping, container.settings.inbox_every_seconds)
    thread.start()
    return thread


def start_workers(container: Container, names: Iterable[str], stop: threading.Event) -> list[threading.Thread]:
    """Starts the background components (relay, projector, ingestor) as threads."""
    threads: list[threading.Thread] = []
    for name in names:
        if name not in WORKERS:
            continue
        worker: Any = WORKERS[name](container)
        container.components[name] = worker
        settings = container.settings
        pace = {Relay: settings.relay_idle_seconds, GoalProgress: settings.progress_every_seconds,
                AlertEvaluator: settings.alert_every_seconds}.get(type(worker))
        thread = WorkerThread(name, worker.run, stop, *(() if pace is None else (pace,)))
        thread.start()
        threads.append(thread)
    return threads


STOP_BUDGET_SECONDS = 15.0
CLOSE_RESERVE_SECONDS = 3.0  # of the budget, kept for closing the stores and the broker


def up(settings: Settings, components: tuple[str, ...] = COMPONENTS, demo: bool = False) -> None:
    """Runs the chosen components until SIGINT or SIGTERM, then stops them cleanly."""
    signal.signal(signal.SIGTERM, interrupt)  # SIGTERM stops as cleanly as Ctrl-C
    with ExitStack() as stack:
        bootstrap, supervisor = start_broker(settings, stack)
        ensure_topics(bootstrap, settings)
        container = build(settings, bootstrap)
        stop = container.stopping
        stack.callback(container.close)
        if supervisor is not None:
            container.components["broker"] = supervisor
        threads = start_workers(container, components, stop)
        if "api" in components:
            threads.append(start_inbox(container))
        if demo:
            threads.append(start_demo(container, stop))
        stack.enter_context(heartbeat(settings, components, threads))
        log.info("perfledger up: %s; broker %s; data %s", ", ".join(components), resolve(bootstrap),
                 settings.data_dir.resolve())
        try:
            if "api" in components:
                serve_api(container)
            else:
                while True:
                    time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            # One budget for all: they stop in parallel, and a thread still waiting when it
            # runs out is left behind (a daemon; its open transaction is rolled back).
            deadline = time.monotonic() + STOP_BUDGET_SECONDS - CLOSE_RESERVE_SECONDS
            for thread in threads:
                thread.join(timeout=max(0.0, deadline - time.monotonic()))
            if late := [t.name for t in threads if t.is_alive()]:
                log.warning("still stopping after the budget, left behind: %s", ", ".join(late))
            log.info("perfledger stopped")


def serve_api(container: Container) -> None:
    import uvicorn

    from adapters.http.app import create_app

    settings = container.settings
    log.info("API and dashboard on http://%s:%s/ (a token: perfledger token issue --role admin --subject you, "
             "with the same PERFLEDGER_DATA_DIR)", settings.host, settings.port)
    config = uvicorn.Config(create_app(container), host=settings.host, port=settings.port,
                            log_level="warning", access_log=False,
                            log_config=None)  # uvicorn logs through our handler (logging_setup)
    uvicorn.Server(config).run()


def interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")
