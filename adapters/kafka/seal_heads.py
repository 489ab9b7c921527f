"""Chain heads on Kafka: the topic perfledger.seal-heads, one partition, newest record last.

The sealer publishes every head it reaches; `verify` reads the last record back. On
Apache Kafka the topic is compacted under one key, so it stays one record long; the
embedded broker forgets it on restart, which is why the file in the data directory comes
first and Kafka is the copy that lives outside the machine.
"""

from __future__ import annotations

import json
import logging
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from adapters.kafka.client import Bootstrap, admin, producer, reader
from engine.seal_heads import FILE_NAME, HeadFile, Heads, PublishedHeads
from engine.settings import Settings

log = logging.getLogger(__name__)
KEY = b"seal-heads"


def heads_topic(prefix: str) -> str:
    return f"{prefix}perfledger.seal-heads"


class KafkaHeads:
    """Publishes heads to, and reads the newest back from, the seal-heads topic."""

    def __init__(
        self, settings: Settings, bootstrap: Bootstrap, topic: str, timeout: float = 5.0
    ) -> None:
        self.settings = settings
        self.bootstrap = bootstrap
        self.partition = TopicPartition(topic, 0)
        self.timeout = timeout
        self._producer: KafkaProducer | None = None

    def publish(self, heads: Heads) -> None:
        if self._producer is None:
            self._create_topic()
            wait = int(
                self.timeout * 1000
            )  # a broker that is down must not hold the sealer for long
            self._producer = producer(
                self.settings, self.bootstrap, bootstrap_timeout_ms=wait, max_block_ms=wait
            )
        try:
            # Always partition 0: a topic created elsewhere with more partitions must not
            # scatter heads.
            self._producer.send(
                self.partition.topic,
                key=KEY,
                value=json.dumps(heads.as_json()).encode(),
                partition=0,
            ).get(self.timeout)
        except Exception:
            self.close()  # a fresh producer after an outage reconnects cleanly
            raise

    def latest(self) -> Heads | None:
        """The last published heads; None when there are none or the broker does not answer."""
        try:
            reading = reader(
                self.settings,
                self.bootstrap,
                fetch_max_wait_ms=20,
                request_timeout_ms=int(self.timeout * 1000),
                bootstrap_timeout_ms=int(self.timeout * 1000),
                reconnect_backoff_max_ms=1000,
                allow_auto_create_topics=False,
            )
        except Exception as error:  # noqa: BLE001 - Kafka is the second source; the file comes first
            log.info("seal heads: Kafka not reachable: %s", error)
            return None
        try:
            return self._read_last(reading)
        except Exception as error:  # noqa: BLE001 - as above
            log.info("seal heads: could not read %s: %s", self.partition.topic, error)
            return None
        finally:
            reading.close()

    def _read_last(self, reader: KafkaConsumer) -> Heads | None:
        reader.assign([self.partition])
        reader.seek_to_beginning(self.partition)
        deadline = time.monotonic() + self.timeout
        # The high watermark (right on both brokers) is known after the first fetch answer.
        while (end := reader.highwater(self.partition)) is None:
            if time.monotonic() > deadline:
                return None
            reader.poll(timeout_ms=100, max_records=1)
        if end == 0:
            return None
        reader.seek(self.partition, end - 1)
        while time.monotonic() < deadline:
            for records in reader.poll(timeout_ms=100).values():
                return Heads.from_json(json.loads(records[-1].value), "kafka")
        return None

    def _create_topic(self) -> None:
        wait = int(self.timeout * 1000)
        client = admin(
            self.settings, self.bootstrap, request_timeout_ms=wait, bootstrap_timeout_ms=wait
        )
        settings = self.settings
        configs = {
            "cleanup.policy": "compact",
            "min.insync.replicas": str(settings.kafka_min_insync_replicas),
        }
        try:
            # Compacted under one key: Apache Kafka keeps just the newest head.
            client.create_topics(
                [
                    NewTopic(
                        self.partition.topic,
                        1,
                        settings.kafka_replication_factor,
                        topic_configs=configs,
                    )
                ]
            )
        except TopicAlreadyExistsError:
            pass
        finally:
            client.close()

    def close(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=2)
            finally:
                self._producer = None


def published_heads(
    settings: Settings, bootstrap: Bootstrap | None, prefix: str | None = None
) -> PublishedHeads:
    """The places heads are published: the data directory's file,
    and Kafka when there is a broker."""
    topic = heads_topic(settings.kafka_topic_prefix if prefix is None else prefix)
    remote = KafkaHeads(settings, bootstrap, topic) if bootstrap else None
    return PublishedHeads(HeadFile(settings.data_dir / FILE_NAME), remote)
