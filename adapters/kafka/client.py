"""kafka-python producers, consumers and topics, configured from our settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from engine.settings import Settings


@dataclass(frozen=True)
class Topics:
    """perfledger's topic names; a prefix lets several deployments share one cluster."""

    prefix: str = ""

    @property
    def events(self) -> str:
        return f"{self.prefix}perfledger.events"

    def group(self, name: str) -> str:
        """A consumer group's name under the same prefix."""
        return f"{self.prefix}{name}"

    @property
    def life(self) -> str:
        return f"{self.prefix}perfledger.broker"

    @property
    def telephony(self) -> str:
        return f"{self.prefix}telephony.events"

    @property
    def telephony_dlq(self) -> str:
        return f"{self.prefix}telephony.events.dlq"


def topics_of(settings: Settings) -> Topics:
    return Topics(settings.kafka_topic_prefix)


def producer(bootstrap: str, **overrides: Any) -> KafkaProducer:
    """An idempotent, acks=all producer that fails fast instead of blocking a caller for a minute."""
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap,
        "acks": "all",
        "linger_ms": 5,
        "max_block_ms": 5000,
        "request_timeout_ms": 5000,
        "delivery_timeout_ms": 10000,
        "reconnect_backoff_max_ms": 2000,
    }
    options.update(overrides)
    return KafkaProducer(**options)


def consumer(settings: Settings, bootstrap: str, group_id: str | None, **overrides: Any) -> KafkaConsumer:
    """A consumer that never auto-commits: our offsets live in the database."""
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap,
        "group_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "session_timeout_ms": settings.kafka_session_timeout_ms,
        "heartbeat_interval_ms": settings.kafka_heartbeat_interval_ms,
        "fetch_max_wait_ms": settings.kafka_fetch_max_wait_ms,
        "max_poll_records": settings.consumer_poll_records,
        "max_poll_interval_ms": settings.kafka_max_poll_interval_ms,
        "reconnect_backoff_max_ms": 2000,
        "request_timeout_ms": 10000 + settings.kafka_session_timeout_ms,
    }
    options.update(overrides)
    return KafkaConsumer(**options)


def ensure_topics(bootstrap: str, settings: Settings) -> None:
    """Creates perfledger's topics when missing; existing ones are left as they are."""
    topics, partitions = topics_of(settings), settings.kafka_partitions
    wanted = [
        NewTopic(topics.events, partitions, 1),
        NewTopic(topics.telephony, partitions, 1),
        NewTopic(topics.telephony_dlq, 1, 1),
        NewTopic(topics.life, 1, 1, topic_configs={"retention.ms": "-1", "retention.bytes": "-1"}),
    ]
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    try:
        existing = set(admin.list_topics())
        missing = [t for t in wanted if t.name not in existing]
        if missing:
            try:
                admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass
    finally:
        admin.close()
