"""Publisher port on kafka-python: send a batch, wait for every acknowledgement."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Sequence
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaTimeoutError

from adapters.kafka.client import Bootstrap, producer, resolve
from engine.ports import Message
from engine.settings import Settings


class KafkaPublisher:
    """Publishes keyed messages; raises when any of them is not acknowledged."""

    def __init__(
        self,
        bootstrap: Bootstrap,
        settings: Settings,
        timeout: float = 15.0,
        stop: threading.Event | None = None,
    ) -> None:
        self.bootstrap = bootstrap
        self.settings = settings
        self.timeout = timeout
        self.stop = (
            stop  # set when the process stops: waiting for a dead broker's acks then ends at once
        )
        self._producer: KafkaProducer | None = None
        self._address = ""

    def publish(self, topic: str, messages: Sequence[Message]) -> None:
        """Sends (key, value) or (key, value, headers) messages and waits for every ack."""
        if self._producer is not None and self._address != resolve(self.bootstrap):
            self.close()  # the broker came back at another address
        if self._producer is None:
            self._address = resolve(self.bootstrap)
            self._producer = producer(self.settings, self._address)
        try:
            futures = [
                self._producer.send(
                    topic, key=m[0], value=m[1], headers=list(m[2]) if len(m) > 2 else None
                )
                for m in messages
            ]
            self._wait_for_acks(futures)
            for future in futures:
                future.get(0)
        except Exception:
            self.close()  # a fresh producer after an outage reconnects cleanly
            raise

    def _wait_for_acks(self, futures: list[Any]) -> None:
        assert self._producer is not None
        deadline = time.monotonic() + self.timeout
        while not all(f.is_done for f in futures):
            if time.monotonic() > deadline or (self.stop is not None and self.stop.is_set()):
                raise KafkaTimeoutError("no acknowledgement from the broker")
            with contextlib.suppress(KafkaTimeoutError):  # not all acked yet: look again
                self._producer.flush(0.2)

    def close(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(
                    timeout=0.5 if self.stop is not None and self.stop.is_set() else 2
                )
            finally:
                self._producer = None
