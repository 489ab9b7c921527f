"""Kafka cluster security and durability settings reach every kafka-python client we build."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from adapters.kafka import client, life, seal_heads
from adapters.kafka.client import security_options, wanted_topics
from engine.settings import Settings

SASL_SSL: dict[str, Any] = {
    "kafka_bootstrap": "kafka-1.example:9094",
    "kafka_security_protocol": "SASL_SSL",
    "kafka_sasl_mechanism": "SCRAM-SHA-512",
    "kafka_sasl_username": "perfledger",
    "kafka_sasl_password": "s3cret-pw",
    "kafka_ssl_cafile": "/etc/kafka/ca.pem",
    "kafka_ssl_certfile": "/etc/kafka/client.pem",
    "kafka_ssl_keyfile": "/etc/kafka/client.key",
}
EXPECTED = {
    "security_protocol": "SASL_SSL",
    "sasl_mechanism": "SCRAM-SHA-512",
    "sasl_plain_username": "perfledger",
    "sasl_plain_password": "s3cret-pw",
    "ssl_cafile": "/etc/kafka/ca.pem",
    "ssl_certfile": "/etc/kafka/client.pem",
    "ssl_keyfile": "/etc/kafka/client.key",
}


class Recorder:
    """Stands in for a kafka-python client class: keeps the options it was built with."""

    built: list[dict[str, Any]]

    def __init__(self, **options: Any) -> None:
        type(self).built.append(options)

    def assign(self, partitions: Any) -> None:
        pass

    def create_topics(self, topics: list[Any]) -> None:
        self.created = topics

    def close(self, *args: Any, **kwargs: Any) -> None:
        pass


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    # Every kafka-python client is made in client.py (tests/unit/test_composition_root.py).
    for name in ("KafkaProducer", "KafkaConsumer", "KafkaAdminClient"):
        built: list[dict[str, Any]] = found.setdefault(name, [])
        monkeypatch.setattr(client, name, type(name, (Recorder,), {"built": built}))
    return found


def test_the_default_is_plaintext_without_credentials() -> None:
    assert security_options(Settings()) == {"security_protocol": "PLAINTEXT"}


def test_sasl_over_tls_with_a_ca_and_client_certificate_is_passed_in_kafka_python_names() -> None:
    assert security_options(Settings(**SASL_SSL)) == EXPECTED


def test_tls_alone_carries_no_sasl_options() -> None:
    options = security_options(
        Settings(
            kafka_bootstrap="k:9093",
            kafka_security_protocol="SSL",
            kafka_ssl_cafile=Path("/ca.pem"),
            kafka_ssl_key_password=SecretStr("key-pw"),
        )
    )
    assert options == {
        "security_protocol": "SSL",
        "ssl_cafile": "/ca.pem",
        "ssl_password": "key-pw",
    }


def test_every_client_we_build_carries_the_security_settings(
    recorded: dict[str, list[dict[str, Any]]],
) -> None:
    settings = Settings(**SASL_SSL)
    client.producer(settings, "kafka-1.example:9094")
    client.consumer(settings, "kafka-1.example:9094", "perfledger.projector")
    client.admin(settings, "kafka-1.example:9094")
    life.BrokerLife(settings, "kafka-1.example:9094")._reader()
    heads = seal_heads.KafkaHeads(settings, "kafka-1.example:9094", "perfledger.seal-heads")
    heads._create_topic()
    assert heads.latest() is None  # the stand-in cannot be read; what matters is how it was built
    # producer; consumer, life reader, heads reader; admin, heads topic creation
    assert {name: len(built) for name, built in recorded.items()} == {
        "KafkaProducer": 1,
        "KafkaConsumer": 3,
        "KafkaAdminClient": 2,
    }
    for name, built in recorded.items():
        for options in built:
            assert EXPECTED.items() <= options.items(), name
            assert options["bootstrap_servers"] == "kafka-1.example:9094"


def test_the_sasl_password_is_never_echoed() -> None:
    settings = Settings(**SASL_SSL)
    assert "s3cret-pw" not in repr(settings) and "s3cret-pw" not in str(settings.model_dump())


def test_a_settings_error_does_not_echo_the_password() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings.model_validate({**SASL_SSL, "kafka_sasl_username": None})
    assert "SASL_USERNAME" in str(refused.value) and "s3cret-pw" not in str(refused.value)


@pytest.mark.parametrize(
    "cluster_only", [{"kafka_security_protocol": "SSL"}, {"kafka_replication_factor": 3}]
)
def test_cluster_settings_without_a_cluster_are_refused(cluster_only: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="embedded broker"):
        Settings.model_validate(cluster_only)


def test_sasl_without_credentials_is_refused() -> None:
    with pytest.raises(ValidationError, match="SASL_USERNAME"):
        Settings(
            kafka_bootstrap="k:9092",
            kafka_security_protocol="SASL_PLAINTEXT",
            kafka_sasl_username="perfledger",
        )


def test_an_unknown_mechanism_is_refused() -> None:
    with pytest.raises(ValidationError):
        Settings.model_validate(
            {
                "kafka_bootstrap": "k:9092",
                "kafka_security_protocol": "SASL_SSL",
                "kafka_sasl_mechanism": "GSSAPI",
                "kafka_sasl_username": "u",
                "kafka_sasl_password": "p",
            }
        )


def test_a_client_certificate_needs_its_key() -> None:
    with pytest.raises(ValidationError, match="go together"):
        Settings(
            kafka_bootstrap="k:9093",
            kafka_security_protocol="SSL",
            kafka_ssl_certfile=Path("/client.pem"),
        )


def test_topics_are_created_with_the_configured_replication_and_min_insync_replicas() -> None:
    topics = wanted_topics(
        Settings(
            kafka_bootstrap="k:9092",
            kafka_replication_factor=3,
            kafka_min_insync_replicas=2,
            kafka_partitions=12,
        )
    )
    assert {t.replication_factor for t in topics} == {3}
    assert all(t.topic_configs["min.insync.replicas"] == "2" for t in topics)
    assert {t.name: t.num_partitions for t in topics}["perfledger.events"] == 12


def test_min_insync_replicas_above_the_replication_factor_is_refused() -> None:
    with pytest.raises(ValidationError, match="MIN_INSYNC"):
        Settings(kafka_bootstrap="k:9092", kafka_replication_factor=1, kafka_min_insync_replicas=2)


def test_security_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SASL_SSL.items():
        monkeypatch.setenv(f"PERFLEDGER_{name.upper()}", value)
    assert security_options(Settings()) == EXPECTED
