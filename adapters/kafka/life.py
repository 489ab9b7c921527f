"""Broker life: an identity per broker lifetime, so offsets from an earlier life are never trusted.

The identity is the first record of the one-partition topic perfledger.broker. Whoever
finds that topic empty writes a fresh id; everyone then reads the record at the start
of the log, so concurrent writers still agree on one identity. A broker that forgets
its log on restart (the embedded one) starts empty and so gets a new identity.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid

from kafka import KafkaConsumer, TopicPartition

from adapters.kafka.client import (
    Bootstrap,
    ensure_topics,
    producer,
    reader,
    resolve,
    topics_of,
)
from engine.settings import Settings


class BrokerLife:
    """Reads (and, on a fresh broker, writes) the identity of the broker's current life."""

    def __init__(
        self, settings: Settings, bootstrap: Bootstrap, stop: threading.Event | None = None
    ) -> None:
        self.settings = settings
        self.bootstrap = bootstrap
        self.stop = (
            stop  # set when the process stops: a wait on a dead broker then gives up at once
        )
        self._lock = threading.Lock()
        self._consumer: KafkaConsumer | None = None
        self._reading_from = ""
        self.marker = TopicPartition(topics_of(settings).life, 0)

    def current(self, timeout: float = 10.0) -> str:
        """The identity of the broker's life now; raises when the broker does not answer."""
        with self._lock:
            try:
                found = self._read_first(timeout)
                if found is None:
                    self._write_marker(timeout)
                    found = self._read_first(timeout, expect_record=True)
                if found is None:
                    raise TimeoutError("broker life marker not readable")
                return found
            except Exception:
                self._reset()
                raise

    def _reader(self) -> KafkaConsumer:
        if self._consumer is not None and self._reading_from != resolve(self.bootstrap):
            self._reset()  # the broker came back at another address
        if self._consumer is None:
            self._reading_from = resolve(self.bootstrap)
            self._consumer = reader(
                self.settings,
                self._reading_from,
                fetch_max_wait_ms=20,
                request_timeout_ms=5000,
                reconnect_backoff_max_ms=1000,
            )
            self._consumer.assign([self.marker])
        return self._consumer

    def _write_marker(self, timeout: float) -> None:
        # A fresh producer each time: an idempotent one from the broker's previous life
        # carries a producer id the new broker does not know.
        ensure_topics(self.bootstrap, self.settings)
        writer = producer(self.settings, self.bootstrap)
        try:
            writer.send(self.marker.topic, value=uuid.uuid4().hex.encode(), partition=0).get(
                timeout
            )
        finally:
            writer.close(timeout=2)

    def _read_first(self, timeout: float, expect_record: bool = False) -> str | None:
        reader = self._reader()
        reader.seek_to_beginning(self.marker)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not (self.stop and self.stop.is_set()):
            batch = reader.poll(timeout_ms=100, max_records=1)
            for records in batch.values():
                return bytes(records[0].value).decode()
            if not expect_record and reader.highwater(self.marker) == 0:
                return None
        raise TimeoutError(f"no answer from broker {resolve(self.bootstrap)} about its life")

    def _reset(self) -> None:
        if self._consumer is not None:
            # A broken client is dropped either way.
            with contextlib.suppress(Exception):
                self._consumer.close()
        self._consumer = None

    def close(self) -> None:
        with self._lock:
            self._reset()
