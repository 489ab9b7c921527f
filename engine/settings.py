"""Settings: one validated class read from PERFLEDGER_* environment variables."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Self
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from engine.secret_file import private_dir, read_or_create

WEAK_SECRETS = {"", "changeme", "secret", "changethis", "perfledger"}


class Settings(BaseSettings):
    """Everything perfledger reads from its environment."""

    # Inputs stay out of validation errors: a refused secret must not be printed back.
    model_config = SettingsConfigDict(env_prefix="PERFLEDGER_", extra="ignore", hide_input_in_errors=True)

    data_dir: Path = Path("./data")
    database_url: str | None = None
    kafka_bootstrap: str | None = None
    # SecretStr: never shown in reprs, logs or validation errors.
    secret: SecretStr | None = None
    secret_file: Path | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    kafka_topic_prefix: str = Field(default="", pattern=r"^[A-Za-z0-9._-]*$")
    kafka_partitions: int = Field(default=4, ge=1, le=1024)
    kafka_session_timeout_ms: int = Field(default=6000, ge=1000)
    kafka_heartbeat_interval_ms: int = Field(default=1000, ge=100)
    kafka_max_poll_interval_ms: int = Field(default=60000, ge=1000)
    kafka_fetch_max_wait_ms: int = Field(default=50, ge=0)
    consumer_poll_records: int = Field(default=5000, ge=1)
    relay_batch_size: int = Field(default=1000, ge=1)
    relay_idle_seconds: float = Field(default=0.05, gt=0)
    life_check_seconds: float = Field(default=2.0, gt=0)
    progress_every_seconds: float = Field(default=5.0, gt=0)
    ready_max_lag: int = Field(default=1000, ge=0)
    alert_every_seconds: float = Field(default=5.0, gt=0)
    alert_lookback_days: int = Field(default=14, ge=1, le=366)
    token_ttl_seconds: int = Field(default=8 * 3600, ge=60)
    seal_interval_seconds: float = Field(default=1.0, gt=0)
    # Plausibility bounds of telephony input (adapters/telephony/bounds.py), the same at both doors.
    telephony_max_call_part_seconds: float = Field(default=8 * 3600.0, gt=0)
    telephony_max_interval_seconds: float = Field(default=86400.0, gt=0)
    telephony_earliest: datetime = datetime(2000, 1, 1, tzinfo=UTC)
    telephony_max_future_seconds: float = Field(default=300.0, ge=0)
    # Kafka cluster security and durability: they apply to a configured cluster
    # (PERFLEDGER_KAFKA_BOOTSTRAP); the embedded broker speaks PLAINTEXT on loopback only.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "PLAIN"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = None
    kafka_ssl_certfile: Path | None = None
    kafka_ssl_keyfile: Path | None = None
    kafka_ssl_key_password: SecretStr | None = None
    kafka_replication_factor: int = Field(default=1, ge=1, le=32)
    kafka_min_insync_replicas: int = Field(default=1, ge=1, le=32)
    liveness_seconds: float = Field(default=5.0, gt=0)
    log_format: Literal["text", "json"] = "text"  # json: one JSON object a line (engine/logging_setup.py)

    @field_validator("telephony_earliest")
    @classmethod
    def earliest_is_aware(cls, value: datetime) -> datetime:
        # A naive bound cannot be compared with the events' aware timestamps.
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    # A worker retrying one position (an infrastructure fault) longer than this makes /readyz 503.
    stuck_after_seconds: float = Field(default=30.0, gt=0)
    retry_backoff_max_seconds: float = Field(default=5.0, gt=0)
    # Database timeouts: during an outage a request fails within these bounds (503 with
    # Retry-After) instead of waiting for the database to come back.
    db_connect_timeout_seconds: int = Field(default=2, ge=2)  # libpq's minimum is 2
    db_pool_timeout_seconds: float = Field(default=1.0, gt=0)
    db_statement_timeout_seconds: float = Field(default=30.0, ge=0)  # 0: no limit
    db_lock_timeout_seconds: int = Field(default=5, ge=0)  # 0: no limit
    db_pool_size: int = Field(default=20, ge=1)
    retry_after_seconds: int = Field(default=1, ge=1)
    broker_restart_seconds: float = Field(default=0.5, ge=0)  # pause before restarting a dead embedded broker
    inbox_every_seconds: float = Field(default=1.0, gt=0)  # how often unarchived HTTP batches are checked

    @field_validator("secret")
    @classmethod
    def refuse_weak_secret(cls, value: SecretStr | None) -> SecretStr | None:
        text = None if value is None else value.get_secret_value()
        if text is not None and (text.strip().lower() in WEAK_SECRETS or len(text) < 16):
            raise ValueError("PERFLEDGER_SECRET must be at least 16 characters and not a default")
        return value

    @model_validator(mode="after")
    def check_kafka_cluster(self) -> Self:
        if not self.kafka_bootstrap and (
                self.kafka_security_protocol != "PLAINTEXT" or self.kafka_replication_factor > 1):
            raise ValueError("Kafka security and replication settings apply to the cluster named by "
                             "PERFLEDGER_KAFKA_BOOTSTRAP; the embedded broker is PLAINTEXT with one replica")
        if self.kafka_security_protocol.startswith("SASL_") and not (
                self.kafka_sasl_username and self.kafka_sasl_password):
            raise ValueError(f"PERFLEDGER_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs "
                             "PERFLEDGER_KAFKA_SASL_USERNAME and PERFLEDGER_KAFKA_SASL_PASSWORD")
        if (self.kafka_ssl_certfile is None) != (self.kafka_ssl_keyfile is None):
            raise ValueError("PERFLEDGER_KAFKA_SSL_CERTFILE and PERFLEDGER_KAFKA_SSL_KEYFILE go together")
        # A topic whose min.insync.replicas exceeds its replicas refuses every acks=all write.
        if self.kafka_min_insync_replicas > self.kafka_replication_factor:
            raise ValueError("PERFLEDGER_KAFKA_MIN_INSYNC_REPLICAS must not exceed "
                             "PERFLEDGER_KAFKA_REPLICATION_FACTOR")
        return self

    @property
    def database(self) -> str:
        """The database URL in force: the given one, or a SQLite file in the data dir."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'perfledger.db').resolve()}"

    @property
    def is_postgres(self) -> bool:
        return self.database.startswith(("postgresql://", "postgres://"))

    def signing_secret(self) -> str:
        """The token-signing secret: the configured one, else the one kept in its file
        (`secret_file`, by default `secret` in the data dir), created once when missing."""
        if self.secret is not None:
            return self.secret.get_secret_value()
        return read_or_create(self.secret_file or self.data_dir / "secret")

    def private_data_dir(self) -> Path:
        """The data directory, created readable by its owner only."""
        return private_dir(self.data_dir)

    def eventsourcing_env(self) -> dict[str, str]:
        """The eventsourcing persistence settings, built from ours (never from os.environ)."""
        if not self.is_postgres:
            return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": sqlite_path(self.database)}
        url = urlsplit(self.database)
        env = {
            "PERSISTENCE_MODULE": "engine.event_store:Factory",  # eventsourcing.postgres, bounded
            "POSTGRES_DBNAME": url.path.lstrip("/") or "postgres",
            "POSTGRES_HOST": url.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": unquote(url.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(url.password or ""),
            "POSTGRES_ENABLE_DB_FUNCTIONS": "y",
            # eventsourcing's "connect timeout" is how long a save waits for a pooled
            # connection; the pre-ping drops connections an outage broke.
            "POSTGRES_CONNECT_TIMEOUT": str(math.ceil(self.db_pool_timeout_seconds)),
            "POSTGRES_PRE_PING": "y",
            "POSTGRES_LOCK_TIMEOUT": str(self.db_lock_timeout_seconds),
            **self.postgres_tuning(),
        }
        return env

    def postgres_tuning(self) -> dict[str, str]:
        """The timeouts eventsourcing has no setting for, applied by engine/event_store.py."""
        return {
            "PERFLEDGER_POOL_TIMEOUT": str(self.db_pool_timeout_seconds),
            "PERFLEDGER_CONNECT_TIMEOUT": str(self.db_connect_timeout_seconds),
            "PERFLEDGER_STATEMENT_TIMEOUT": str(self.db_statement_timeout_seconds),
        }


def sqlite_path(url: str) -> str:
    """The file path of a sqlite:///path URL."""
    if not url.startswith("sqlite:///"):
        raise ValueError(f"not a sqlite URL: {url}")
    return url[len("sqlite:///"):]
