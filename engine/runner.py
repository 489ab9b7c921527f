"""`perfledger up`: broker (unless one is named), relay, projector and API in one process."""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack

from engine.bootstrap import WORKERS, Container, build, start_broker
from engine.liveness import WorkerThread, heartbeat
from engine.settings import Settings

log = logging.getLogger("perfledger")
COMPONENTS = (
    "api",
    "relay",
    "projector",
    "ingestor",
    "progress",
    "alerts",
    "sealer",
    "delivery",
)


def start_demo(container: Container, stop: threading.Event) -> threading.Thread:
    """Streams a simulated contact centre (50 agents, 5 teams) into the running system."""
    from datetime import UTC, datetime, timedelta

    from engine.demo import seed
    from engine.simulate import simulate
    from engine.streaming import stream_paced

    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    seed(container.app, container.settings.data_dir, 50, 5, (today - timedelta(days=14)).date())
    # A burst of the past that ends about now (50 agents in shifts send ~260 events per
    # simulated hour), then a trickle at real time (events are held until their time: the
    # ingestor refuses the future): the embedded broker keeps every message in memory, so
    # the demo must not flood it.
    rate, duration, burst = 0.25, 30 * 86400.0, 50_000
    burst_span = timedelta(hours=burst / 260)
    messages = _not_ahead_of_clock(
        simulate(
            agents=50,
            teams=5,
            rate=rate,
            duration=duration,
            bad_fraction=0.02,
            seed=1,
            start=(datetime.now(UTC) - burst_span).replace(minute=0, second=0, microsecond=0),
        ),
        stop,
    )
    publisher = container.publisher()
    topic = container.topics.telephony

    def run() -> None:
        try:
            stream_paced(
                messages,
                publisher,
                topic,
                rate,
                int(rate * duration),
                lambda *_: None,
                stop.is_set,
                burst=burst,
            )
        except Exception as error:  # noqa: BLE001 - the demo stream must not take the system down
            log.warning("demo stream stopped: %s", error)
        finally:
            publisher.close()

    thread = threading.Thread(target=run, name="perfledger-demo", daemon=True)
    thread.start()
    log.info(
        "demo: streaming a simulated contact centre: %d events at once, then %.2f/s", burst, rate
    )
    return thread


def _not_ahead_of_clock(
    messages: Iterable[tuple[bytes, bytes]], stop: threading.Event
) -> Iterator[tuple[bytes, bytes]]:
    """Holds each simulated event until its time has come: telephony from the future is refused."""
    from datetime import UTC, datetime

    for key, value in messages:
        try:
            ahead = (
                datetime.fromisoformat(json.loads(value)["occurred_at"]) - datetime.now(UTC)
            ).total_seconds()
        except (ValueError, KeyError, TypeError):  # the simulator's deliberately broken messages
            ahead = 0.0
        if ahead > 0 and stop.wait(ahead):
            return
        yield key, value


def start_inbox(container: Container) -> threading.Thread:
    """Re-publishes HTTP-accepted telephony that the broker's current life lacks (beside the API
    that accepted it)."""
    thread = WorkerThread(
        "inbox", container.inbox.run, container.stopping, container.settings.inbox_every_seconds
    )
    thread.start()
    return thread


def start_workers(
    container: Container, names: Iterable[str], stop: threading.Event
) -> list[threading.Thread]:
    """Starts the background components (relay, projector, ingestor, ...) as threads; the API is
    not one."""
    threads: list[threading.Thread] = []
    settings = container.settings
    paces = {
        "relay": settings.relay_idle_seconds,
        "progress": settings.progress_every_seconds,
        "alerts": settings.alert_every_seconds,
    }
    for name in names:
        if name not in WORKERS:
            continue
        worker = container.worker(name)
        pace = paces.get(name)
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
        container = build(settings, bootstrap, supervisor)
        stop = container.stopping
        stack.callback(container.close)
        threads = start_workers(container, components, stop)
        if "api" in components:
            threads.append(start_inbox(container))
        if demo:
            threads.append(start_demo(container, stop))
        stack.enter_context(heartbeat(settings, components, threads))
        log.info(
            "perfledger up: %s; broker %s; data %s",
            ", ".join(components),
            container.broker_address,
            settings.data_dir.resolve(),
        )
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

    settings = container.settings
    log.info(
        "API and dashboard on http://%s:%s/ "
        "(a token: perfledger token issue --role admin --subject you, "
        "with the same PERFLEDGER_DATA_DIR)",
        settings.host,
        settings.port,
    )
    config = uvicorn.Config(
        container.api(),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
        log_config=None,
    )  # uvicorn logs through our handler (logging_setup)
    uvicorn.Server(config).run()


def interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")
