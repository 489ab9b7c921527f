"""The delivery component: the matcher's consumer loop on the worker's thread, and beside it a
sender thread that sends what is due and runs the overdue check now and then."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from adapters.kafka.consumer import ConsumerLoop
from adapters.notify.matcher import DeliveryMatcher
from adapters.notify.overdue_check import OverdueCheck
from adapters.notify.sender import DeliverySender
from aggregates.faults import reason_of
from engine.health import Backoff, HealthBoard
from engine.settings import Settings

log = logging.getLogger(__name__)
SENDER = "perfledger.delivery.sender"
JOIN_SECONDS = 5.0


class DeliveryComponent:
    """Consumes events into the queue and sends the queue, until stopped."""

    def __init__(
        self,
        loop: ConsumerLoop[DeliveryMatcher],
        sender: DeliverySender,
        overdue: OverdueCheck,
        settings: Settings,
        health: HealthBoard,
    ) -> None:
        self.loop = loop
        self.sender = sender
        self.overdue = overdue
        self.settings = settings
        self.health = health
        self._key = health.register(SENDER)

    def run(self, stop: threading.Event, *_: Any) -> None:
        """Runs the consumer loop here and the sender on a thread of its own."""
        thread = threading.Thread(
            target=self.send_until, args=(stop,), name="perfledger-delivery-sender", daemon=True
        )
        thread.start()
        try:
            self.loop.run(stop)
        finally:
            # A POST in flight may take its whole timeout; the stop budget does not wait for it
            # (the delivery is not marked sent, so it goes again after the restart).
            thread.join(timeout=JOIN_SECONDS)

    def send_until(self, stop: threading.Event) -> None:
        """Sends due deliveries; a database fault is retried with backoff and shown on /readyz."""
        settings = self.settings
        backoff = Backoff(cap=settings.retry_backoff_max_seconds)
        checked = 0.0
        while not stop.is_set():
            position = "send"
            try:
                if time.monotonic() - checked >= settings.delivery_overdue_every_seconds:
                    position = "overdue"
                    self.overdue.run_once()
                    checked = time.monotonic()
                    position = "send"
                tried = self.sender.round()
            except Exception as error:  # noqa: BLE001 - the sender must outlive any outage
                entry = self.health.failed(self._key, position, reason_of(error))
                delay = backoff.next()
                log.warning(
                    "delivery %s: retry %d (failing since %s): %s; next in %.1fs",
                    position,
                    entry.retries,
                    entry.since,
                    error,
                    delay,
                )
                stop.wait(delay)
                continue
            backoff.reset()
            self.health.recovered(self._key)
            if tried < settings.delivery_batch_size:
                stop.wait(settings.delivery_every_seconds)
