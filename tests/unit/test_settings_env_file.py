"""Settings come from the environment, then a .env file; secrets are never echoed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from engine.settings import Settings

SASL = "sasl-password-never-shown"
KEY = "key-password-never-shown"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No PERFLEDGER_* variable from the caller's environment, in an empty working directory."""
    for name in [n for n in os.environ if n.startswith("PERFLEDGER_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_dot_env_in_the_working_directory_is_read(clean_env: Path) -> None:
    (clean_env / ".env").write_text("PERFLEDGER_PORT=8123\nKAFKA_CLUSTER_ID=compose-only\n")
    assert Settings().port == 8123


def test_the_environment_wins_over_the_dot_env_file(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (clean_env / ".env").write_text("PERFLEDGER_PORT=8123\n")
    monkeypatch.setenv("PERFLEDGER_PORT", "8124")
    assert Settings().port == 8124


def test_perfledger_env_file_names_another_file(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (clean_env / ".env").write_text("PERFLEDGER_PORT=8123\n")
    other = clean_env / "prod.env"
    other.write_text("PERFLEDGER_PORT=8125\nPERFLEDGER_HOST=0.0.0.0\n")
    monkeypatch.setenv("PERFLEDGER_ENV_FILE", str(other))
    settings = Settings()
    assert (settings.port, settings.host) == (8125, "0.0.0.0")


def test_a_missing_named_env_file_is_refused(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PERFLEDGER_ENV_FILE", str(clean_env / "absent.env"))
    with pytest.raises(ValidationError, match="PERFLEDGER_ENV_FILE names no readable file"):
        Settings()


def test_no_dot_env_gives_the_defaults(clean_env: Path) -> None:
    assert Settings().port == 8000


def test_a_weak_secret_from_dot_env_is_refused_without_echo(clean_env: Path) -> None:
    (clean_env / ".env").write_text("PERFLEDGER_SECRET=tooshort-xyz\n")
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert "tooshort-xyz" not in str(refused.value)


def test_secrets_are_secret_strings_never_in_repr() -> None:
    settings = Settings(
        secret=SecretStr("a-long-enough-secret-value"),
        kafka_bootstrap="kafka:9092",
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username="u",
        kafka_sasl_password=SecretStr(SASL),
        kafka_ssl_key_password=SecretStr(KEY),
        database_url="postgresql://u:db-password-hidden@h/db",
    )
    shown = repr(settings) + str(settings)
    for secret in ("a-long-enough-secret-value", SASL, KEY, "db-password-hidden"):
        assert secret not in shown
    dumped = str(settings.model_dump())
    assert SASL not in dumped and KEY not in dumped and "a-long-enough-secret-value" not in dumped
    assert settings.kafka_sasl_password is not None
    assert settings.kafka_sasl_password.get_secret_value() == SASL


def test_refused_kafka_settings_do_not_echo_the_passwords() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(
            kafka_security_protocol="SASL_SSL",
            kafka_sasl_password=SecretStr(SASL),
            kafka_ssl_key_password=SecretStr(KEY),
        )
    assert SASL not in str(refused.value) and KEY not in str(refused.value)


def test_the_cli_refusing_settings_prints_no_secret(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from engine.cli import main

    (clean_env / ".env").write_text(f"PERFLEDGER_KAFKA_SASL_PASSWORD={SASL}\n")
    monkeypatch.setenv("PERFLEDGER_KAFKA_SSL_KEY_PASSWORD", KEY)
    monkeypatch.setenv("PERFLEDGER_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("PERFLEDGER_SECRET", "short-secret")
    assert main(["token", "issue", "--role", "admin", "--subject", "x"]) != 0
    printed = capsys.readouterr()
    assert "invalid settings" in printed.err
    for secret in (SASL, KEY, "short-secret"):
        assert secret not in printed.out + printed.err
