"""docker-compose.yml is for users' machines; here it is parsed and checked, not run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from engine.runner import COMPONENTS
from engine.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))


def perfledger_services() -> dict[str, dict[str, Any]]:
    return {name: svc for name, svc in compose()["services"].items() if svc.get("image", "").startswith("perfledger")}


def test_the_scale_out_runs_kafka_in_kraft_mode_and_postgres() -> None:
    services = compose()["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert "controller" in services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"]
    assert services["postgres"]["image"].startswith("postgres:")


def test_api_relay_and_projector_each_run_as_a_service() -> None:
    services = perfledger_services()
    ran = {svc["command"][svc["command"].index("--only") + 1] for svc in services.values()}
    assert ran == set(COMPONENTS)


def test_every_setting_passed_is_one_the_settings_know() -> None:
    known = {f"PERFLEDGER_{name.upper()}" for name in Settings.model_fields}
    for name, svc in perfledger_services().items():
        passed = set(svc["environment"])
        assert passed <= known, f"{name}: unknown settings {passed - known}"
        assert {"PERFLEDGER_DATABASE_URL", "PERFLEDGER_KAFKA_BOOTSTRAP", "PERFLEDGER_SECRET"} <= passed


def test_services_point_at_the_composed_kafka_and_postgres() -> None:
    for svc in perfledger_services().values():
        env = svc["environment"]
        assert env["PERFLEDGER_KAFKA_BOOTSTRAP"].split(":")[0] == "kafka"
        assert env["PERFLEDGER_DATABASE_URL"].startswith("postgresql://")
        assert "@postgres:" in env["PERFLEDGER_DATABASE_URL"]
        settings = Settings(**{k.removeprefix("PERFLEDGER_").lower(): v for k, v in env.items()
                               if k != "PERFLEDGER_SECRET"})
        assert settings.is_postgres and settings.eventsourcing_env()["POSTGRES_HOST"] == "postgres"
        assert set(svc["depends_on"]) == {"kafka", "postgres"}


def test_the_secret_must_be_supplied_by_the_operator() -> None:
    for svc in perfledger_services().values():
        assert svc["environment"]["PERFLEDGER_SECRET"].startswith("${PERFLEDGER_SECRET:?")
