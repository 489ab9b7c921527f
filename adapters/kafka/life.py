"""Broker life: an identity per broker lifetime, so offsets from an earlier life are never trusted.

The identity is the first record of the one-partition topic perfledger.broker. Whoever
finds that topic empty writes a fresh id; everyone then reads the record at the start
of the log, so concurrent writers still agree on one identity. A broker that forgets
its log on restart (the embedded one) starts empty and so gets a new identity.
"""

from __future__ import annotations

import threading
import time
import uuid

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from adapters.kafka.client import LIFE_TOPIC, ensure_topics, producer
from engine.settings import Settings

MARKER = TopicPartition(LIFE_TOPIC, 0)


class BrokerLife:
    """Reads (and, on a fresh broker, writes) the identity of the broker's current life."""

    def __init__(self, settings: Settings, bootstrap: str) -> None:
        self.settings = settings
        self.bootstrap = bootstrap
        self._lock = threading.Lock()
        self._consumer: KafkaConsumer | None = None
        self._producer: KafkaProducer | None = None

    def current(self, timeout: float = 10.0) -> str:
        """The identity of the broker's life now; raises when the broker does not answer."""
        with self._lock:
            try:
                found = self._read_first(timeout)
                if found is None:
                    ensure_topics(self.bootstrap, self.settings.kafka_partitions)
                    self._writer().send(LIFE_TOPIC, value=uuid.uuid4().hex.encode(), partition=0).get(timeout)
                    found = self._read_first(timeout)
                if found is None:
                    raise TimeoutError("broker life marker not readable")
                return found
            except Exception:
                self._reset()
                raise

    def _reader(self) -> KafkaConsumer:
        if self._consumer is None:
            self._consumer = KafkaConsumer(
                bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False,
                fetch_max_wait_ms=20, request_timeout_ms=5000, reconnect_backoff_max_ms=1000,
            )
            self._consumer.assign([MARKER])
        return self._consumer

    def _writer(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = producer(self.bootstrap)
        return self._producer

    def _read_first(self, timeout: float) -> str | None:
        reader = self._reader()
        reader.seek_to_beginning(MARKER)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            batch = reader.poll(timeout_ms=100, max_records=1)
            for records in batch.values():
                return bytes(records[0].value).decode()
            if reader.highwater(MARKER) == 0:
                return None
        raise TimeoutError(f"no answer from broker {self.bootstrap} about its life")

    def _reset(self) -> None:
        for client in (self._consumer, self._producer):
            if client is not None:
                try:
                    client.close(timeout=1) if isinstance(client, KafkaProducer) else client.close()
                except Exception:  # noqa: BLE001 - a broken client is dropped either way
                    pass
        self._consumer = None
        self._producer = None

    def close(self) -> None:
        with self._lock:
            self._reset()
