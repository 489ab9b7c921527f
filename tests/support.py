"""Helpers for integration and e2e tests: settings, a running pipeline, waiting."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from engine.bootstrap import Container, build, ensure_topics
from engine.callers import Principal as Caller
from engine.keyring import local_ring
from engine.runner import start_workers
from engine.settings import Settings
from engine.tokens import DEFAULT_AUDIENCE, DEFAULT_ISSUER, LocalTokens

T = TypeVar("T")
EXAMPLE_ROSTER = Path(__file__).resolve().parents[1] / "examples" / "roster"
SECRET = "test-secret-" + "x" * 20


def make_settings(
    tmp_path: Path, database_url: str, bootstrap: str | None, **overrides: Any
) -> Settings:
    """Settings for one test: its own data dir, database, topic prefix and quick group joins."""
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "database_url": database_url,
        "kafka_bootstrap": bootstrap,
        "kafka_topic_prefix": f"t{uuid.uuid4().hex[:8]}.",
        "kafka_session_timeout_ms": 2000,
        "kafka_heartbeat_interval_ms": 500,
        "life_check_seconds": 0.5,
        "secret": SECRET,
    }
    values.update(overrides)
    return Settings(**values)


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that gives a child process these settings (secrets in clear)."""
    return settings.as_environment()


def stored_since(app: Any, position: int) -> tuple[list[Any], int]:
    """Envelopes of the events stored after `position`, and the new position."""
    from aggregates.contract import envelope_of

    stored = app.recorder.select_notifications(
        start=position, limit=10_000, inclusive_of_start=False
    )
    envelopes = [envelope_of(n.id, n.topic, app.event_as_dict(n)) for n in stored]
    return envelopes, stored[-1].id if stored else position


def local_tokens(secret: str = SECRET) -> LocalTokens:
    """The tokens of a setup with this secret and the default issuer and audience, signed with
    its first key (which a test's ring holds until it retires it)."""
    return LocalTokens(local_ring(secret), DEFAULT_ISSUER, DEFAULT_AUDIENCE)


def token(role: str | None = "admin", subject: str = "alice") -> dict[str, str]:
    """Authorization header for a subject; what a roster person may do comes from the roster
    (seed_roster), the role claim only counts for callers outside it (admin, auditor, ingest)."""
    return {"Authorization": "Bearer " + local_tokens().issue(subject, 3600, role)}


def wait_until(check: Callable[[], T | None], timeout: float = 10.0, interval: float = 0.05) -> T:
    """Polls check until it returns something truthy; fails the test on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {result!r})")
        time.sleep(interval)


class Pipeline:
    """The command side, relay and projector in threads; each part stoppable on its own."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        if settings.kafka_bootstrap:
            ensure_topics(settings.kafka_bootstrap, settings)
        self.container: Container = build(settings, settings.kafka_bootstrap)
        self.stops: dict[str, threading.Event] = {}
        self.threads: dict[str, threading.Thread] = {}

    def start(self, *names: str) -> Pipeline:
        for name in names:
            stop = threading.Event()
            (thread,) = start_workers(self.container, [name], stop)
            self.stops[name], self.threads[name] = stop, thread
        return self

    def stop(self, *names: str) -> None:
        for name in names or tuple(self.threads):
            self.stops.pop(name).set()
            self.threads.pop(name).join(timeout=20)

    def close(self) -> None:
        self.stop()
        self.container.close()

    def client(self) -> Any:
        from fastapi.testclient import TestClient

        return TestClient(self.container.api())


def example_roster() -> tuple[str, str]:
    """The example roster's teams.csv and people.csv (examples/roster/): two sites, four teams
    (Asia/Shanghai and Europe/Berlin), managers, two directors, an auditor, an admin, agents,
    and agent-0005's move from team-01 to team-02 on 2026-11-16."""
    return (
        (EXAMPLE_ROSTER / "teams.csv").read_text(encoding="utf-8"),
        (EXAMPLE_ROSTER / "people.csv").read_text(encoding="utf-8"),
    )


def seed_roster(
    target: Any,
    teams_csv: str | None = None,
    people_csv: str | None = None,
    actor: str = "roster-seed",
) -> dict[str, Any]:
    """Imports roster CSV text through the roster service, as an admin, into a container (or a
    TestClient's); with neither text, the example roster. Returns the import's counts; the
    roster reads it at once, so scope follows it from the next request on."""
    container: Container = target if isinstance(target, Container) else target.app.state.container
    if teams_csv is None and people_csv is None:
        teams_csv, people_csv = example_roster()
    return container.services.roster.import_files(
        Caller("admin", actor),
        None if teams_csv is None else teams_csv.encode(),
        None if people_csv is None else people_csv.encode(),
    )
