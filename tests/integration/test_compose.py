"""docker-compose.yml is for users' machines; here it is parsed and checked, not run."""

from __future__ import annotations

import base64
import re
import tomllib
from pathlib import Path
from typing import Any

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from engine.cli import parser
from engine.runner import COMPONENTS
from engine.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEFAULTED = re.compile(r"\$\{(\w+):-([^}]*)\}")


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))


def perfledger_services() -> dict[str, dict[str, Any]]:
    return {
        name: svc
        for name, svc in compose()["services"].items()
        if svc.get("image", "").startswith("perfledger")
    }


def with_defaults(value: str) -> str:
    """A compose value as it is when the operator sets none of its ${VAR:-default} variables."""
    return DEFAULTED.sub(lambda m: m.group(2), value)


def component_of(svc: dict[str, Any]) -> str:
    command: list[str] = svc["command"]
    return command[command.index("--only") + 1]


def dockerfile() -> list[str]:
    return [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


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
        assert {
            "PERFLEDGER_DATABASE_URL",
            "PERFLEDGER_KAFKA_BOOTSTRAP",
            "PERFLEDGER_SECRET",
        } <= passed


def test_services_point_at_the_composed_kafka_and_postgres() -> None:
    for svc in perfledger_services().values():
        env = svc["environment"]
        assert env["PERFLEDGER_KAFKA_BOOTSTRAP"].split(":")[0] == "kafka"
        assert env["PERFLEDGER_DATABASE_URL"].startswith("postgresql://")
        assert "@postgres:" in env["PERFLEDGER_DATABASE_URL"]
        settings = Settings.model_validate(
            {
                k.removeprefix("PERFLEDGER_").lower(): with_defaults(v)
                for k, v in env.items()
                if k != "PERFLEDGER_SECRET"
            }
        )
        assert settings.is_postgres and settings.eventsourcing_env()["POSTGRES_HOST"] == "postgres"
        assert set(svc["depends_on"]) == {"kafka", "postgres"}


def test_the_secret_must_be_supplied_by_the_operator() -> None:
    for svc in perfledger_services().values():
        assert svc["environment"]["PERFLEDGER_SECRET"].startswith("${PERFLEDGER_SECRET:?")


def test_kafka_keeps_its_log_on_the_mounted_volume() -> None:
    kafka = compose()["services"]["kafka"]
    mounts = dict(volume.split(":") for volume in kafka["volumes"])
    assert kafka["environment"]["KAFKA_LOG_DIRS"] == mounts["kafka-data"]
    assert "kafka-data" in compose()["volumes"]


def test_the_kafka_cluster_id_is_a_kraft_id_the_operator_can_replace() -> None:
    value = compose()["services"]["kafka"]["environment"]["CLUSTER_ID"]
    assert value.startswith("${KAFKA_CLUSTER_ID:-")
    default = with_defaults(value)
    assert (
        len(base64.urlsafe_b64decode(default + "==")) == 16
    )  # what kafka-storage random-uuid prints
    assert "kafka-storage.sh random-uuid" in (ROOT / "docker-compose.yml").read_text()


def test_telephony_producers_outside_compose_have_a_listener_of_their_own() -> None:
    kafka = compose()["services"]["kafka"]
    env = kafka["environment"]
    listeners = dict(item.split("://") for item in env["KAFKA_LISTENERS"].split(","))
    advertised = dict(item.split("://") for item in env["KAFKA_ADVERTISED_LISTENERS"].split(","))
    protocols = dict(
        item.split(":") for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )
    assert set(listeners) == set(protocols)
    assert set(advertised) == set(listeners) - {env["KAFKA_CONTROLLER_LISTENER_NAMES"]}
    inside = {
        svc["environment"]["PERFLEDGER_KAFKA_BOOTSTRAP"] for svc in perfledger_services().values()
    }
    assert inside == {advertised["INTERNAL"]}
    assert env["KAFKA_INTER_BROKER_LISTENER_NAME"] == "INTERNAL"
    assert advertised["EXTERNAL"].startswith("${KAFKA_EXTERNAL_HOST:-"), (
        "the advertised host is the operator's"
    )
    host, port = with_defaults(advertised["EXTERNAL"]).rsplit(":", 1)
    assert host == "localhost"
    published = [with_defaults(p) for p in kafka["ports"]]
    assert f"{port}:{listeners['EXTERNAL'].lstrip(':')}" in published


def test_every_service_has_a_health_check_and_perfledger_waits_for_healthy_dependencies() -> None:
    services = compose()["services"]
    for name, svc in services.items():
        assert svc["healthcheck"]["test"], name
    for name, svc in perfledger_services().items():
        assert svc["depends_on"] == {
            "kafka": {"condition": "service_healthy"},
            "postgres": {"condition": "service_healthy"},
        }, name


def test_each_perfledger_service_checks_the_component_it_runs() -> None:
    for name, svc in perfledger_services().items():
        test = svc["healthcheck"]["test"]
        assert test[:2] == ["CMD", "perfledger"], name
        args = parser().parse_args(test[2:])
        assert (args.command, args.component) == ("health", [component_of(svc)]), name


def test_the_image_declares_its_data_volume_and_a_health_check() -> None:
    lines = dockerfile()
    assert "VOLUME /data" in lines
    assert "ENV" in " ".join(lines) and "PERFLEDGER_DATA_DIR=/data" in " ".join(lines)
    (check,) = [line for line in lines if line.startswith("HEALTHCHECK")]
    command = yaml.safe_load(check.split(" CMD ", 1)[1])
    assert command[0] == "perfledger" and parser().parse_args(command[1:]).command == "health"


def test_the_image_installs_exactly_the_pinned_dependencies() -> None:
    installs = [line for line in dockerfile() if line.startswith("RUN pip install")]
    assert installs and all("constraints.txt" in line for line in installs)
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for text in declared:
        requirement = Requirement(text)
        pinned = pins.get(canonicalize_name(requirement.name))
        assert pinned is not None, f"{requirement.name} is not pinned in constraints.txt"
        assert requirement.specifier.contains(pinned), (
            f"{requirement.name}=={pinned} does not satisfy {text}"
        )


def test_the_build_context_leaves_out_local_state_and_keeps_what_the_image_copies() -> None:
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", "data", ".git", ".pytest_cache", "test-artifacts", "**/__pycache__"} <= ignored
    copied = {
        part for line in dockerfile() if line.startswith("COPY") for part in line.split()[1:-1]
    }
    assert copied and not copied & ignored


def test_the_services_use_the_database_password_postgres_is_given() -> None:
    postgres = compose()["services"]["postgres"]["environment"]
    for name, svc in perfledger_services().items():
        url = svc["environment"]["PERFLEDGER_DATABASE_URL"]
        assert f":{postgres['POSTGRES_PASSWORD']}@" in url, name
        settings = Settings(database_url=with_defaults(url))
        assert settings.eventsourcing_env()["POSTGRES_PASSWORD"] == with_defaults(
            postgres["POSTGRES_PASSWORD"]
        )
