"""Publisher port on kafka-python: send a batch, wait for every acknowledgement."""

from __future__ import annotations

from collections.abc import Sequence

from kafka import KafkaProducer

from adapters.kafka.client import producer
from engine.ports import Message
from engine.settings import Settings


class KafkaPublisher:
    """Publishes keyed messages; raises when any of them is not acknowledged."""

    def __init__(self, bootstrap: str, settings: Settings, timeout: float = 15.0) -> None:
        self.bootstrap = bootstrap
        self.settings = settings
        self.timeout = timeout
        self._producer: KafkaProducer | None = None

    def publish(self, topic: str, messages: Sequence[Message]) -> None:
        """Sends (key, value) or (key, value, headers) messages and waits for every ack."""
        if self._producer is None:
            self._producer = producer(self.settings, self.bootstrap)
        try:
            futures = [
                self._producer.send(topic, key=m[0], value=m[1], headers=list(m[2]) if len(m) > 2 else None)
                for m in messages
            ]
            self._producer.flush(self.timeout)
            for future in futures:
                future.get(0)
        except Exception:
            self.close()  # a fresh producer after an outage reconnects cleanly
            raise

    def close(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=2)
            finally:
                self._producer = None
