"""`perfledger up` as a user runs it: a subprocess driven over HTTP, stopped and killed."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.kafka.broker import free_port
from tests.support import SECRET, token, wait_until

GOAL: dict[str, Any] = {
    "agent_id": "agent-7",
    "team_id": "team-e2e",
    "title": "First contact resolution",
    "kpi": "fcr_rate",
    "target": 0.75,
    "direction": "at_least",
    "period_start": "2026-10-01",
    "period_end": "2026-12-31",
    "weight": 1,
}
ADMIN = token("admin", "alice")


class Up:
    """One `perfledger up` process on a data dir; restartable."""

    def __init__(self, data_dir: Path, database_url: str | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.env = {
            **os.environ,
            "PERFLEDGER_DATA_DIR": str(data_dir),
            "PERFLEDGER_SECRET": SECRET,
            "PERFLEDGER_KAFKA_SESSION_TIMEOUT_MS": "2000",
        }
        self.env.pop("PERFLEDGER_KAFKA_BOOTSTRAP", None)
        if database_url:
            self.env["PERFLEDGER_DATABASE_URL"] = database_url
        self.process: subprocess.Popen[str] | None = None
        self.log = data_dir / "up.log"
        self.args: list[str] = []  # more `perfledger up` options, e.g. ["--only", "api"]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Up:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "engine.cli", "up", "--port", str(self.port), *self.args],
            env=self.env,
            stdout=open(self.log, "a"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
            text=True,
        )
        wait_until(self._answers, timeout=30, interval=0.1)
        return self

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"perfledger up exited: {self.log.read_text()}")
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def broker_port(self) -> int:
        ports = re.findall(r"embedded broker answering on 127\.0\.0\.1:(\d+)", self.log.read_text())
        return int(ports[-1])

    def stop(self, sig: int = signal.SIGINT, timeout: float = 30) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        return self.process.wait(timeout)

    def kill_if_running(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Up]:
    running = Up(tmp_path / "data")
    try:
        yield running
    finally:
        running.kill_if_running()


def post_goal(up: Up, **changes: Any) -> str:
    response = httpx.post(f"{up.url}/v1/goals", json={**GOAL, **changes}, headers=ADMIN, timeout=10)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def read(up: Up, path: str) -> Any:
    response = httpx.get(f"{up.url}{path}", headers=ADMIN, timeout=10)
    return response.json() if response.status_code == 200 else None


def port_closed(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def test_a_goal_posted_is_readable_with_its_actor_in_the_trail(up: Up) -> None:
    # How fast it becomes readable is the benchmark's business, not a timed assertion's.
    up.start()
    goal_id = post_goal(up)
    wait_until(
        lambda: read(up, f"/v1/goals/{goal_id}") and read(up, f"/v1/audit/{goal_id}/events"),
        timeout=30,
    )
    assert read(up, f"/v1/audit/{goal_id}/events")[0]["actor"] == "admin:alice"


def test_ctrl_c_stops_everything_cleanly(up: Up) -> None:
    up.start()
    broker = up.broker_port()
    assert up.stop(signal.SIGINT) == 0
    wait_until(lambda: port_closed(broker), timeout=10)


def test_restarts_and_sigkill_lose_and_duplicate_nothing(up: Up) -> None:
    up.start()
    ids = [post_goal(up, title=f"goal {n}") for n in range(10)]
    revised = ids[0]
    response = httpx.post(
        f"{up.url}/v1/goals/{revised}/revise-target",
        json={"target": 0.8, "reason": "raise"},
        headers=ADMIN,
        timeout=10,
    )
    assert response.status_code == 200
    wait_until(
        lambda: (
            all(read(up, f"/v1/goals/{i}") for i in ids)
            and read(up, f"/v1/goals/{revised}")["version"] == 2
        ),
        timeout=15,
    )
    broker = up.broker_port()
    assert up.stop(signal.SIGTERM) == 0
    up.start()
    ids.append(post_goal(up, title="after a clean restart"))
    up.stop(signal.SIGKILL)
    wait_until(lambda: port_closed(broker) and port_closed(up.broker_port()), timeout=10)
    up.start()
    ids.append(post_goal(up, title="after SIGKILL"))
    wait_until(lambda: all(read(up, f"/v1/goals/{i}") for i in ids), timeout=15)
    goals = read(up, "/v1/goals?team_id=team-e2e")["items"]
    assert sorted(g["id"] for g in goals) == sorted(ids)
    assert read(up, f"/v1/goals/{revised}")["target"] == 0.8
    for goal_id in ids:
        events = read(up, f"/v1/audit/{goal_id}/events")
        assert [e["sequence"] for e in events] == ([1, 2] if goal_id == revised else [1])


def test_a_port_in_use_is_refused_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            **os.environ,
            "PERFLEDGER_DATA_DIR": str(tmp_path / "data"),
            "PERFLEDGER_SECRET": SECRET,
        }
        done = subprocess.run(
            [sys.executable, "-m", "engine.cli", "up", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2 and "in use" in done.stderr
    assert not (tmp_path / "data" / "broker.address").exists()


def test_a_restart_right_after_a_stop_is_not_refused_while_the_old_port_is_in_time_wait(
    up: Up,
) -> None:
    up.start()
    with httpx.Client() as client:  # a kept-alive connection: the server closes it first, on stop
        assert client.get(f"{up.url}/healthz").status_code == 200
        assert up.stop(signal.SIGINT) == 0
    with (
        socket.socket() as plain,
        pytest.raises(OSError),
    ):  # TIME_WAIT: a bind without reuse is refused
        plain.bind(("127.0.0.1", up.port))
    up.start()
    assert httpx.get(f"{up.url}/healthz", timeout=5).status_code == 200
