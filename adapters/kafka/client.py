"""kafka-python producers, consumers and topics, configured from our settings."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
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


# A broker address, or where to read the current one: a supervised embedded broker that
# could not get its old port back after a crash comes back on another, and every client
# that reconnects must find it there.
Bootstrap = str | Callable[[], str]


def resolve(bootstrap: Bootstrap) -> str:
    """The broker address in force now."""
    return bootstrap if isinstance(bootstrap, str) else bootstrap()


def security_options(settings: Settings) -> dict[str, Any]:
    """The connection security every kafka-python client of ours gets
    (producer, consumer, admin)."""
    protocol = settings.kafka_security_protocol
    options: dict[str, Any] = {"security_protocol": protocol}
    if protocol.startswith("SASL_"):
        password = settings.kafka_sasl_password
        options |= {
            "sasl_mechanism": settings.kafka_sasl_mechanism,
            "sasl_plain_username": settings.kafka_sasl_username,
            "sasl_plain_password": password.get_secret_value() if password else None,
        }
    if protocol in ("SSL", "SASL_SSL"):
        key_password = settings.kafka_ssl_key_password
        files = {
            "ssl_cafile": settings.kafka_ssl_cafile,
            "ssl_certfile": settings.kafka_ssl_certfile,
            "ssl_keyfile": settings.kafka_ssl_keyfile,
        }
        options |= {name: str(path) for name, path in files.items() if path is not None}
        if key_password is not None:
            options["ssl_password"] = key_password.get_secret_value()
    return options


def producer(settings: Settings, bootstrap: Bootstrap, **overrides: Any) -> KafkaProducer:
    """An idempotent, acks=all producer that fails fast instead of blocking a caller
    for a minute."""
    options: dict[str, Any] = {
        **security_options(settings),
        "bootstrap_servers": resolve(bootstrap),
        "acks": "all",
        "linger_ms": 5,
        "max_block_ms": 5000,
        "request_timeout_ms": 5000,
        "delivery_timeout_ms": 10000,
        "reconnect_backoff_max_ms": 2000,
    }
    options.update(overrides)
    return KafkaProducer(**options)


def consumer(
    settings: Settings, bootstrap: Bootstrap, group_id: str | None, **overrides: Any
) -> KafkaConsumer:
    """A consumer that never auto-commits: our offsets live in the database."""
    options: dict[str, Any] = {
        **security_options(settings),
        "bootstrap_servers": resolve(bootstrap),
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


def reader(settings: Settings, bootstrap: Bootstrap, **overrides: Any) -> KafkaConsumer:
    """A consumer outside any group, for reading chosen partitions (broker life, seal heads)."""
    options: dict[str, Any] = {
        **security_options(settings),
        "bootstrap_servers": resolve(bootstrap),
        "group_id": None,
        "enable_auto_commit": False,
    }
    options.update(overrides)
    return KafkaConsumer(**options)


def answers(bootstrap: str, timeout_ms: int) -> None:
    """Returns when a plaintext broker (the embedded one, on loopback) answers;
    raises when it does not."""
    KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=timeout_ms).close()


def admin(settings: Settings, bootstrap: Bootstrap, **overrides: Any) -> KafkaAdminClient:
    """An admin client, secured like every other client."""
    options: dict[str, Any] = {
        **security_options(settings),
        "bootstrap_servers": resolve(bootstrap),
        "request_timeout_ms": 10000,
    }
    options.update(overrides)
    return KafkaAdminClient(**options)


def wanted_topics(settings: Settings) -> list[NewTopic]:
    """perfledger's topics, replicated as configured; min.insync.replicas makes acks=all mean
    'on that many brokers' rather than 'on the leader'."""
    topics, partitions = topics_of(settings), settings.kafka_partitions
    replicas = settings.kafka_replication_factor
    durable = {"min.insync.replicas": str(settings.kafka_min_insync_replicas)}
    return [
        NewTopic(topics.events, partitions, replicas, topic_configs=durable),
        NewTopic(topics.telephony, partitions, replicas, topic_configs=durable),
        NewTopic(topics.telephony_dlq, 1, replicas, topic_configs=durable),
        NewTopic(
            topics.life,
            1,
            replicas,
            topic_configs={**durable, "retention.ms": "-1", "retention.bytes": "-1"},
        ),
    ]


def ensure_topics(bootstrap: Bootstrap, settings: Settings) -> None:
    """Creates perfledger's topics when missing; existing ones are left as they are."""
    wanted = wanted_topics(settings)
    client = admin(settings, bootstrap)
    try:
        existing = set(client.list_topics())
        missing = [t for t in wanted if t.name not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                client.create_topics(missing)
    finally:
        client.close()
