"""Settings from the environment and command validation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from engine.commands import SetGoal
from engine.settings import Settings

GOAL: dict[str, Any] = {
    "agent_id": "a1",
    "team_id": "t1",
    "title": "AHT",
    "kpi": "aht_seconds",
    "target": 300,
    "direction": "at_most",
    "period_start": "2026-10-01",
    "period_end": "2026-12-31",
    "weight": 1,
}


def test_sqlite_is_the_default_store_in_the_data_dir(tmp_path: Path) -> None:
    env = Settings(data_dir=tmp_path).eventsourcing_env()
    assert env == {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(tmp_path / "perfledger.db"),
    }


def test_a_postgres_url_selects_the_postgres_store() -> None:
    env = Settings(
        database_url="postgresql://pl:s%40cret@db.internal:6543/ledger"
    ).eventsourcing_env()
    assert (
        env["PERSISTENCE_MODULE"] == "engine.event_store:Factory"
    )  # eventsourcing.postgres, bounded
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_DBNAME"]) == (
        "db.internal",
        "6543",
        "ledger",
    )
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == ("pl", "s@cret")


@pytest.mark.parametrize("secret", ["changeme", "short"])
def test_weak_secrets_are_refused(secret: str) -> None:
    with pytest.raises(ValidationError):
        Settings(secret=SecretStr(secret))


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERFLEDGER_KAFKA_BOOTSTRAP", "kafka:9092")
    monkeypatch.setenv("PERFLEDGER_PORT", "9000")
    settings = Settings()
    assert (settings.kafka_bootstrap, settings.port) == ("kafka:9092", 9000)


def test_a_valid_goal_command_parses() -> None:
    assert SetGoal.model_validate(GOAL).weight == 1.0


@pytest.mark.parametrize(
    "change, field",
    [
        ({"weight": 0}, "weight"),
        ({"direction": "sideways"}, "direction"),
        ({"kpi": "happiness"}, "kpi"),
        ({"target": "lots"}, "target"),
        ({"period_start": "2026-13-01"}, "period_start"),
        ({"title": ""}, "title"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_goal_input_names_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as error:
        SetGoal.model_validate({**GOAL, **change})
    assert field in {str(loc) for e in error.value.errors() for loc in e["loc"]}


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValidationError, match="period_end"):
        SetGoal.model_validate({**GOAL, "period_end": "2026-09-01"})


def test_infinite_targets_are_refused() -> None:
    with pytest.raises(ValidationError):
        SetGoal.model_validate({**GOAL, "target": float("inf")})
