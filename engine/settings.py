"""Settings: one validated class read from PERFLEDGER_* environment variables."""

from __future__ import annotations

import math
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Self
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from engine.secret_file import private_dir, read_or_create
from engine.tokens import DEFAULT_AUDIENCE, DEFAULT_ISSUER

WEAK_SECRETS = {"", "changeme", "secret", "changethis", "perfledger"}
ENV_FILE = ".env"  # read from the working directory when present
ENV_FILE_VARIABLE = "PERFLEDGER_ENV_FILE"


class Settings(BaseSettings):
    """Everything perfledger reads from its environment."""

    # Inputs stay out of validation errors: a refused secret must not be printed back.
    # The environment wins over the .env file; other keys in the file (compose's) are ignored.
    model_config = SettingsConfigDict(
        env_prefix="PERFLEDGER_",
        extra="ignore",
        hide_input_in_errors=True,
        env_file=ENV_FILE,
        env_file_encoding="utf-8",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # PERFLEDGER_ENV_FILE names the .env file to read instead of the working directory's.
        named = os.environ.get(ENV_FILE_VARIABLE)
        if named:
            dotenv_settings = DotEnvSettingsSource(
                settings_cls, env_file=named, env_file_encoding="utf-8"
            )
        return init_settings, env_settings, dotenv_settings, file_secret_settings

    env_file: Path | None = Field(
        default=None,
        description=(
            "a file of `PERFLEDGER_*=value` lines to read settings from instead of `.env` "
            "in the working directory (read when present); the environment wins over either"
        ),
    )

    data_dir: Path = Field(
        default=Path("./data"),
        description=(
            "SQLite files, the broker log, the generated signing secret, the published seal"
            " heads and liveness files; created 0700, files 0600"
        ),
    )
    database_url: str | None = Field(
        default=None,
        repr=False,  # a password may be part of the URL
        description=(
            "the database, e.g. `postgresql://user:password@host:5432/db`; unset: SQLite "
            "`perfledger.db` in the data dir. A password is part of the URL: keep the "
            "variable (or `.env` file) private"
        ),
    )
    kafka_bootstrap: str | None = Field(
        default=None,
        description=(
            "`host:port[,host:port]` of a Kafka cluster; unset: `up` starts the embedded broker"
        ),
    )
    # SecretStr: never shown in reprs, logs or validation errors.
    secret: SecretStr | None = Field(
        default=None,
        description=(
            "token signing and seals, 16+ characters and not a default; unset: generated "
            "once and kept in the secret file. Never printed back, not even in errors"
        ),
    )
    secret_file: Path | None = Field(
        default=None,
        description=(
            "where the generated secret is kept (unset: `secret` in the data dir); put it "
            "outside the data dir and the database's reach. Created once, mode 0600; an "
            "empty or short file is refused"
        ),
    )
    host: str = Field(default="127.0.0.1", description="address the API listens on")
    port: int = Field(default=8000, ge=0, le=65535, description="port the API listens on")
    kafka_topic_prefix: str = Field(
        default="",
        pattern=r"^[A-Za-z0-9._-]*$",
        description="prefix of every topic name, so deployments can share a cluster",
    )
    kafka_partitions: int = Field(
        default=4,
        ge=1,
        le=1024,
        description=(
            "partitions of the topics perfledger creates (projectors and ingestors scale up to it)"
        ),
    )
    kafka_session_timeout_ms: int = Field(
        default=6000,
        ge=1000,
        description="consumer-group session timeout (a join takes about half of it)",
    )
    kafka_heartbeat_interval_ms: int = Field(
        default=1000, ge=100, description="consumer-group heartbeat interval"
    )
    kafka_max_poll_interval_ms: int = Field(
        default=60000,
        ge=1000,
        description="longest time between two polls before a consumer leaves its group",
    )
    kafka_fetch_max_wait_ms: int = Field(
        default=50, ge=0, description="how long a fetch waits on the broker for new messages"
    )
    consumer_poll_records: int = Field(
        default=5000, ge=1, description="most records a consumer takes in one poll"
    )
    relay_batch_size: int = Field(
        default=1000, ge=1, description="most stored events the outbox relay publishes at once"
    )
    relay_idle_seconds: float = Field(
        default=0.05, gt=0, description="pause of the relay when there is nothing to publish"
    )
    life_check_seconds: float = Field(
        default=2.0, gt=0, description="how often `up` checks that its components are still running"
    )
    progress_every_seconds: float = Field(
        default=5.0, gt=0, description="how often long-running workers log their progress"
    )
    ready_max_lag: int = Field(
        default=1000,
        ge=0,
        description=(
            "`/readyz` answers 503 while the relay, a projector or the ingestor lags more than this"
        ),
    )
    alert_every_seconds: float = Field(
        default=5.0, gt=0, description="how often the alert evaluator checks the rules"
    )
    alert_lookback_days: int = Field(
        default=14, ge=1, le=366, description="how many past days of KPIs the alert rules look at"
    )
    delivery_every_seconds: float = Field(
        default=0.5, gt=0, description="how often the delivery sender looks for due notifications"
    )
    delivery_max_attempts: int = Field(
        default=8,
        ge=1,
        le=100,
        description="failed attempts after which a notification goes to the dead-letter list",
    )
    delivery_backoff_seconds: float = Field(
        default=2.0, gt=0, description="first wait before a failed notification is tried again"
    )
    delivery_backoff_max_seconds: float = Field(
        default=600.0, gt=0, description="cap of the doubling wait between notification retries"
    )
    delivery_timeout_seconds: float = Field(
        default=10.0, gt=0, le=300, description="per-request timeout of a webhook POST"
    )
    delivery_batch_size: int = Field(
        default=50, ge=1, le=10_000, description="notifications the sender takes per round"
    )
    delivery_overdue_every_seconds: float = Field(
        default=60.0, gt=0, description="how often overdue action items are looked for"
    )
    webhook_allow_http: bool = Field(
        default=False,
        description="allow plain-http webhook URLs to any host (else https, or http to loopback)",
    )
    smtp_host: str | None = Field(
        default=None, description="SMTP server for e-mail notifications (unset: no e-mail)"
    )
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP server port")
    smtp_starttls: bool = Field(default=True, description="upgrade the SMTP session with STARTTLS")
    smtp_username: str | None = Field(default=None, description="SMTP login, when it needs one")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password")
    smtp_from: str = Field(
        default="perfledger@localhost", description="sender address of notification e-mails"
    )
    peer_input_threshold: int = Field(
        default=3,
        ge=1,
        le=1000,
        description=(
            "the agent reviewed sees peer 360 inputs (without authors) only once at least this "
            "many peers answered; managers, directors, auditors and admins always see them "
            "with authors"
        ),
    )
    token_ttl_seconds: int = Field(
        default=8 * 3600,
        ge=60,
        description="lifetime of a token from `perfledger token issue` without `--ttl`",
    )
    token_issuer: str = Field(
        default=DEFAULT_ISSUER,
        min_length=1,
        max_length=200,
        description=(
            "the `iss` of the tokens `perfledger token issue` signs, and the issuer whose local "
            "tokens the API accepts"
        ),
    )
    token_audience: str = Field(
        default=DEFAULT_AUDIENCE,
        min_length=1,
        max_length=200,
        description="the `aud` of local tokens; the API accepts only tokens meant for it",
    )
    token_leeway_seconds: float = Field(
        default=30.0,
        ge=0,
        le=300,
        description="clock difference tolerated when checking a token's `iat` and `exp`",
    )
    token_max_ttl_seconds: int = Field(
        default=90 * 86400,
        ge=60,
        description=(
            "longest lifetime `perfledger token issue --ttl` grants; revocations of single "
            "tokens are kept this long"
        ),
    )
    token_refresh_seconds: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description=(
            "how often each process re-reads the shared signing keys and revocations: a "
            "revocation or a retired key takes effect everywhere within this time"
        ),
    )
    roster_max_bytes: int = Field(
        default=32 * 1024 * 1024,
        ge=1024,
        description="largest roster file (teams.csv or people.csv) an import accepts, in bytes",
    )
    seal_interval_seconds: float = Field(
        default=1.0,
        gt=0,
        description="how often the sealer seals new events (the tamper-evidence window)",
    )
    # Plausibility bounds of telephony input (adapters/telephony/bounds.py), the same at both doors.
    telephony_max_call_part_seconds: float = Field(
        default=8 * 3600.0,
        gt=0,
        description="upper bound of a call's talk, hold and after-call work, each",
    )
    telephony_max_interval_seconds: float = Field(
        default=86400.0, gt=0, description="upper bound of an interval's `interval_seconds`"
    )
    telephony_earliest: datetime = Field(
        default=datetime(2000, 1, 1, tzinfo=UTC),
        description="telephony that occurred before this is refused",
    )
    telephony_max_future_seconds: float = Field(
        default=300.0, ge=0, description="how far ahead of the receiving clock `occurred_at` may be"
    )
    # Kafka cluster security and durability: they apply to a configured cluster
    # (PERFLEDGER_KAFKA_BOOTSTRAP); the embedded broker speaks PLAINTEXT on loopback only.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT",
        description=(
            "Kafka cluster: `PLAINTEXT`, `SSL`, `SASL_PLAINTEXT` or `SASL_SSL` (the "
            "embedded broker is PLAINTEXT only)"
        ),
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        default="PLAIN",
        description="Kafka cluster: `PLAIN`, `SCRAM-SHA-256` or `SCRAM-SHA-512` (with `SASL_*`)",
    )
    kafka_sasl_username: str | None = Field(
        default=None, description="Kafka cluster: SASL user, required with `SASL_*`"
    )
    kafka_sasl_password: SecretStr | None = Field(
        default=None,
        description="Kafka cluster: SASL password, required with `SASL_*`; never logged or echoed",
    )
    kafka_ssl_cafile: Path | None = Field(
        default=None,
        description=(
            "Kafka cluster: PEM file of the CA that signed the brokers' certificates (with "
            "`SSL`, `SASL_SSL`); unset: the system's CAs"
        ),
    )
    kafka_ssl_certfile: Path | None = Field(
        default=None,
        description="Kafka cluster: client certificate (mutual TLS), with the key file",
    )
    kafka_ssl_keyfile: Path | None = Field(
        default=None,
        description="Kafka cluster: client key (mutual TLS), with the certificate file",
    )
    kafka_ssl_key_password: SecretStr | None = Field(
        default=None,
        description="Kafka cluster: password of an encrypted key file; never logged or echoed",
    )
    kafka_replication_factor: int = Field(
        default=1,
        ge=1,
        le=32,
        description=(
            "Kafka cluster: replicas of the topics perfledger creates (3 on a production cluster)"
        ),
    )
    kafka_min_insync_replicas: int = Field(
        default=1,
        ge=1,
        le=32,
        description=(
            "Kafka cluster: the topics' `min.insync.replicas`, at most the replication "
            "factor (2 with 3 replicas)"
        ),
    )
    liveness_seconds: float = Field(
        default=5.0,
        gt=0,
        description="how often `up` marks each running component alive for `perfledger health`",
    )
    log_format: Literal["text", "json"] = Field(
        default="text",  # engine/logging_setup.py
        description=(
            "`text`: plain lines; `json`: one JSON object a line on stderr "
            "(`time`, `level`, `name`, `message`, "
            "`request_id`; the access log, one `perfledger.access` line a request at INFO, adds "
            "`method`, `route`, `path`, `status`, `latency_ms`, `principal`)"
        ),
    )

    @field_validator("telephony_earliest")
    @classmethod
    def earliest_is_aware(cls, value: datetime) -> datetime:
        # A naive bound cannot be compared with the events' aware timestamps.
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)

    # A worker retrying one position (an infrastructure fault) longer than this makes /readyz 503.
    stuck_after_seconds: float = Field(
        default=30.0,
        gt=0,
        description=(
            "`/readyz` answers 503 once a worker has retried one position (an "
            "infrastructure fault) this long"
        ),
    )
    retry_backoff_max_seconds: float = Field(
        default=5.0,
        gt=0,
        description="cap of the doubling wait between retries after an infrastructure fault",
    )
    # Database timeouts: during an outage a request fails within these bounds (503 with
    # Retry-After) instead of waiting for the database to come back.
    db_connect_timeout_seconds: int = Field(
        default=2,
        ge=2,
        description="PostgreSQL: longest wait for a new connection (2 at least, libpq's minimum)",
    )
    db_pool_timeout_seconds: float = Field(
        default=1.0,
        gt=0,
        description=(
            "PostgreSQL: longest wait for a pooled connection (event store and read models)"
        ),
    )
    db_statement_timeout_seconds: float = Field(
        default=30.0, ge=0, description="PostgreSQL: longest statement (`0`: no limit)"
    )
    db_lock_timeout_seconds: int = Field(
        default=5,
        ge=0,
        description=(
            "PostgreSQL: longest wait of a save for the event store's table lock (`0`: no limit)"
        ),
    )
    db_pool_size: int = Field(
        default=20, ge=1, description="PostgreSQL: connections per process for the read models"
    )
    retry_after_seconds: int = Field(
        default=1, ge=1, description="the `Retry-After` of a 503 while the database is unavailable"
    )
    broker_restart_seconds: float = Field(
        default=0.5, ge=0, description="pause before `up` restarts an embedded broker that died"
    )
    inbox_every_seconds: float = Field(
        default=1.0,
        gt=0,
        description=(
            "how often HTTP-accepted telephony not yet archived is checked (and published "
            "again into a new broker life)"
        ),
    )

    # Single sign-on with an OpenID Connect issuer (README "Single sign-on"); off while unset.
    oidc_issuer: str | None = Field(
        default=None,
        description=(
            "single sign-on: the OpenID Connect issuer URL (its `iss`, e.g. "
            "`https://login.example.com/realms/centre`); https unless on loopback. Unset: no "
            "single sign-on, local tokens only"
        ),
    )
    oidc_client_id: str | None = Field(
        default=None,
        description="single sign-on: perfledger's client id at the issuer (needed with the issuer)",
    )
    oidc_client_secret: SecretStr | None = Field(
        default=None,
        description=(
            "single sign-on: the client's secret (a confidential client); unset: a public "
            "client, PKCE alone. Never logged or echoed"
        ),
    )
    oidc_audience: str | None = Field(
        default=None,
        description=(
            "single sign-on: the `aud` the issuer's access tokens must carry for the API; "
            "unset: the client id"
        ),
    )
    oidc_person_claim: str = Field(
        default="email",
        min_length=1,
        description="single sign-on: the claim of the issuer's tokens that names the person",
    )
    oidc_person_match: Literal["email", "external_id"] = Field(
        default="email",
        description=(
            "single sign-on: what that claim is matched with in the roster: the person's "
            "`email` (case-insensitive) or `external_id`"
        ),
    )
    oidc_role_claim: str | None = Field(
        default=None,
        description=(
            "single sign-on: a claim whose `admin`, `auditor` or `ingest` admits someone outside "
            "the roster in that role; roster people always act in their roster role. Unset: "
            "only roster people sign in"
        ),
    )
    oidc_redirect_base_url: str | None = Field(
        default=None,
        description=(
            "single sign-on: the dashboard's public base URL; the issuer redirects to "
            "`<base>/v1/auth/callback`. Unset: the URL the browser used"
        ),
    )
    oidc_scopes: str = Field(
        default="openid email profile",
        pattern=r"(^| )openid( |$)",
        description="single sign-on: scopes the dashboard's sign-in asks for, `openid` among them",
    )
    oidc_timeout_seconds: float = Field(
        default=3.0,
        gt=0,
        le=60,
        description=(
            "single sign-on: longest wait for the issuer (discovery, keys, code exchange); then 503"
        ),
    )
    oidc_keys_max_age_seconds: float = Field(
        default=3600.0,
        gt=0,
        description="single sign-on: how long the issuer's discovery document and keys are kept",
    )
    oidc_keys_refetch_seconds: float = Field(
        default=30.0,
        ge=0,
        description=(
            "single sign-on: a token with an unknown key id fetches the keys again at most "
            "this often (and a failed fetch is retried no sooner)"
        ),
    )
    oidc_leeway_seconds: int = Field(
        default=30, ge=0, le=300, description="single sign-on: clock skew allowed on `exp`, `iat`"
    )
    oidc_session_seconds: int = Field(
        default=3600,
        ge=60,
        description="single sign-on: lifetime of the dashboard's session after signing in",
    )

    @field_validator("env_file")
    @classmethod
    def env_file_exists(cls, value: Path | None) -> Path | None:
        # A named file that is missing would otherwise be skipped without a word.
        if value is not None and not value.is_file():
            raise ValueError(f"{ENV_FILE_VARIABLE} names no readable file: {value}")
        return value

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
            self.kafka_security_protocol != "PLAINTEXT" or self.kafka_replication_factor > 1
        ):
            raise ValueError(
                "Kafka security and replication settings apply to the cluster named by "
                "PERFLEDGER_KAFKA_BOOTSTRAP; the embedded broker is PLAINTEXT with one replica"
            )
        if self.kafka_security_protocol.startswith("SASL_") and not (
            self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ValueError(
                f"PERFLEDGER_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs "
                "PERFLEDGER_KAFKA_SASL_USERNAME and PERFLEDGER_KAFKA_SASL_PASSWORD"
            )
        if (self.kafka_ssl_certfile is None) != (self.kafka_ssl_keyfile is None):
            raise ValueError(
                "PERFLEDGER_KAFKA_SSL_CERTFILE and PERFLEDGER_KAFKA_SSL_KEYFILE go together"
            )
        # A topic whose min.insync.replicas exceeds its replicas refuses every acks=all write.
        if self.kafka_min_insync_replicas > self.kafka_replication_factor:
            raise ValueError(
                "PERFLEDGER_KAFKA_MIN_INSYNC_REPLICAS must not exceed "
                "PERFLEDGER_KAFKA_REPLICATION_FACTOR"
            )
        self.check_single_sign_on()
        return self

    def check_single_sign_on(self) -> None:
        if self.oidc_issuer is None:
            return
        if not self.oidc_client_id:
            raise ValueError("PERFLEDGER_OIDC_ISSUER needs PERFLEDGER_OIDC_CLIENT_ID")
        if self.oidc_issuer == self.token_issuer:
            raise ValueError(
                "PERFLEDGER_OIDC_ISSUER must differ from PERFLEDGER_TOKEN_ISSUER: a token's "
                "`iss` says which of the two verifies it"
            )
        for name in ("oidc_issuer", "oidc_redirect_base_url"):
            url = getattr(self, name)
            if url is not None and not is_safe_url(url):
                raise ValueError(
                    f"PERFLEDGER_{name.upper()} must be an https URL (http only on loopback)"
                )

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

    def as_environment(self) -> dict[str, str]:
        """The PERFLEDGER_* variables giving a child process these settings (secrets in clear)."""

        def text(value: object) -> str:
            return value.get_secret_value() if isinstance(value, SecretStr) else str(value)

        return {
            f"PERFLEDGER_{name.upper()}": text(value)
            for name, value in self.model_dump().items()
            if value is not None
        }

    def eventsourcing_env(self) -> dict[str, str]:
        """The eventsourcing persistence settings, built from ours (never from os.environ)."""
        if not self.is_postgres:
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": sqlite_path(self.database),
            }
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
    return url[len("sqlite:///") :]


LOOPBACK = ("127.0.0.1", "::1", "localhost")


def is_safe_url(url: str) -> bool:
    """An https URL, or an http one on loopback (a test or development issuer)."""
    parts = urlsplit(url)
    if not parts.hostname:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK)
