"""The outbox relay: publishes the notification log to Kafka, at least once, in order.

The position is kept with the broker life it was published into. When the broker's
life changes (an embedded broker restarted empty), the position is void and the relay
re-feeds the new broker from the start of the event store; consumers skip what they
already applied. The life is checked after every batch, so a batch that went into a
broker that restarted underneath it is published again.

An event that cannot be published (it does not encode, or the broker refuses it as too
large: a data fault, aggregates/faults.py) is parked with its reason and the relay goes on;
consumers then park the aggregate's later versions behind it. Every other fault is
retried with backoff and reported to the health board.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from aggregates.contract import encode, envelope_of
from aggregates.faults import is_data_fault, reason_of
from engine.application import PerfLedger
from engine.health import Backoff, HealthBoard
from engine.ports import BrokerLifeSource, Message, Parking, Publisher, RelayPositions

log = logging.getLogger(__name__)


@dataclass
class RelayStatus:
    """What the relay has done, for /readyz and /metrics."""

    position: int = 0
    published: int = 0
    errors: int = 0
    refeeds: int = 0
    parked: int = 0
    broker_available: bool = False


class Relay:
    """Moves stored events to the events topic, keyed by aggregate id."""

    def __init__(
        self,
        app: PerfLedger,
        publisher: Publisher,
        life: BrokerLifeSource,
        positions: RelayPositions,
        topic: str,
        batch_size: int = 1000,
        life_max_age: float = 2.0,
        health: HealthBoard | None = None,
        backoff_cap: float = 5.0,
        parking: Parking | None = None,
    ) -> None:
        self.app = app
        self.publisher = publisher
        self.life = life
        self.positions = positions
        self.topic = topic
        self.batch_size = batch_size
        self.life_max_age = life_max_age
        self.status = RelayStatus()
        self.health = health or HealthBoard()
        self.backoff_cap = backoff_cap
        self.parking = parking
        self._life: tuple[str, float] | None = None
        self._stored: tuple[str, int] | None = None
        self._loaded = False

    def _current_life(self, max_age: float) -> str:
        """The broker life, re-read when the last reading is older than max_age seconds."""
        now = time.monotonic()
        if self._life is None or now - self._life[1] > max_age:
            self._life = (self.life.current(), now)
        return self._life[0]

    def _stored_position(self) -> tuple[str, int] | None:
        # Read once: one relay runs per deployment, so after that its own saves are the truth
        # and an idle relay does not query the database every few milliseconds.
        if not self._loaded:
            self._stored, self._loaded = self.positions.load(), True
        return self._stored

    def _save(self, life: str, position: int) -> None:
        self.positions.save(life, position)
        self._stored = (life, position)

    def step(self) -> int:
        """Publishes the next batch; returns how many events it published."""
        stored = self._stored_position()
        life = self._current_life(self.life_max_age)
        position = stored[1] if stored and stored[0] == life else 0
        if stored and stored[0] != life and stored[1] > 0:
            log.warning("broker life changed: re-feeding the event store from the start")
            self.status.refeeds += 1
        notifications = self.app.recorder.select_notifications(
            start=position, limit=self.batch_size, inclusive_of_start=False
        )
        if not notifications:
            if stored != (life, position):
                self._save(life, position)
            self.status.position = position
            return 0
        messages = [m for m in (self._message(n) for n in notifications) if m is not None]
        published = self._publish(messages)
        if self._current_life(0) != life:
            return 0  # the broker restarted during the batch: the next step re-feeds
        self._save(life, notifications[-1].id)
        self.status.position = notifications[-1].id
        self.status.published += published
        return published

    def _message(self, notification: Any) -> tuple[Message, tuple[str, int, str]] | None:
        """The Kafka message of a stored event, or None when it cannot be made (and is parked)."""
        source = f"store:{notification.id}"
        try:
            envelope = envelope_of(
                notification.id, notification.topic, self.app.event_as_dict(notification)
            )
            return (envelope.id.encode(), encode(envelope)), (envelope.id, envelope.version, source)
        except Exception as error:  # noqa: BLE001 - classified: re-raised unless a data fault
            self._park_or_raise(
                error,
                (str(notification.originator_id), int(notification.originator_version), source),
                bytes(notification.state),
            )
            return None

    def _publish(self, messages: list[tuple[Message, tuple[str, int, str]]]) -> int:
        """Publishes the messages; returns how many went out (the others are parked)."""
        try:
            self.publisher.publish(self.topic, [m for m, _ in messages])
            return len(messages)
        except Exception as error:
            if self.parking is None or not is_data_fault(error):
                raise
        # One of them is refused (too large, say): publish one by one, parking each refused one.
        published = 0
        for message, where in messages:
            try:
                self.publisher.publish(self.topic, [message])
                published += 1
            except Exception as single:  # noqa: BLE001 - classified: re-raised unless a data fault
                self._park_or_raise(single, where, message[1])
        return published

    def _park_or_raise(self, error: Exception, where: tuple[str, int, str], payload: bytes) -> None:
        if self.parking is None or not is_data_fault(error):
            raise error
        log.error("relay: parked %s v%s (%s): %s", *where, reason_of(error))
        self.status.parked += 1
        self.parking.park(where[0], where[1], where[2], reason_of(error), payload)

    def run(self, stop: threading.Event, idle_seconds: float = 0.05) -> None:
        """Steps until stopped, backing off (and reporting to the health board) while a store or
        the broker is away."""
        backoff, key = Backoff(cap=self.backoff_cap), self.health.register("relay")
        while not stop.is_set():
            try:
                published = self.step()
                self.status.broker_available = True
                backoff.reset()
                self.health.recovered(key)
            except Exception as error:  # noqa: BLE001 - the relay must outlive any outage
                self.status.errors += 1
                self.status.broker_available = False
                done = self._stored[1] if self._stored else self.status.position
                entry = self.health.failed(key, f"store:{done + 1}", reason_of(error))
                delay = backoff.next()
                log.warning(
                    "relay: retry %d (failing since %s): %s; next in %.1fs",
                    entry.retries,
                    entry.since,
                    error,
                    delay,
                )
                stop.wait(delay)
                continue
            if published == 0:
                stop.wait(idle_seconds)
        self.publisher.close()
        self.life.close()
