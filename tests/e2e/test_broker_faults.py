"""The embedded broker's faults as `perfledger up` meets them: killed under it, dead at stop."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_up import Up, post_goal, read
from tests.support import wait_until


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Up]:
    running = Up(tmp_path / "data")
    # A restart pause long enough for the test to see /readyz while the broker is down.
    running.env["PERFLEDGER_BROKER_RESTART_SECONDS"] = "1.5"
    try:
        yield running
    finally:
        running.kill_if_running()


def broker_pid(up: Up) -> int:
    """The live embedded broker: the child process of `perfledger up` that is not a zombie."""
    assert up.process is not None
    children = " ".join(
        p.read_text() for p in Path(f"/proc/{up.process.pid}/task").glob("*/children")
    )
    alive = [
        int(pid) for pid in children.split() if " Z " not in Path(f"/proc/{pid}/stat").read_text()
    ]
    assert len(alive) == 1, alive
    return alive[0]


def readiness(up: Up) -> tuple[int, dict[str, object]]:
    try:
        response = httpx.get(f"{up.url}/readyz", timeout=5)
    except httpx.HTTPError:
        return 0, {}
    return response.status_code, response.json()


def unready(up: Up) -> dict[str, object]:
    """The /readyz answer while it says 503, else nothing."""
    status, body = readiness(up)
    return body if status == 503 else {}


def reaped(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()  # a zombie keeps its /proc entry until reaped


def dead(pid: int) -> bool:
    try:
        return " Z " in Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True


def test_a_killed_broker_is_reaped_and_restarted_and_readyz_names_it_meanwhile(up: Up) -> None:
    up.start()
    before = post_goal(up, title="before the broker died")
    wait_until(lambda: read(up, f"/v1/goals/{before}"), timeout=15)
    wait_until(lambda: readiness(up)[0] == 200, timeout=15)
    pid, port = broker_pid(up), up.broker_port()
    os.kill(pid, signal.SIGKILL)
    body = wait_until(lambda: unready(up), timeout=5)
    assert body["down"] == ["broker"]
    wait_until(lambda: readiness(up)[0] == 200, timeout=30)
    assert reaped(pid)
    assert broker_pid(up) != pid and up.broker_port() == port
    metrics = httpx.get(f"{up.url}/metrics", timeout=5).text
    assert (
        "perfledger_broker_restarts_total 1.0" in metrics and "perfledger_broker_up 1.0" in metrics
    )
    after = post_goal(up, title="after the broker came back")
    wait_until(lambda: read(up, f"/v1/goals/{after}"), timeout=15)
    assert read(up, f"/v1/goals/{before}")["title"] == "before the broker died"


def test_stopping_with_a_dead_broker_keeps_within_the_budget(up: Up) -> None:
    up.env["PERFLEDGER_BROKER_RESTART_SECONDS"] = "120"  # it stays dead while perfledger stops
    up.start()
    wait_until(lambda: readiness(up)[0] == 200, timeout=15)
    pid = broker_pid(up)
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: dead(pid), timeout=5)
    time.sleep(3)  # the components notice the broker is gone and wait on it
    asked = time.monotonic()
    assert up.stop(signal.SIGINT, timeout=60) == 0
    took = time.monotonic() - asked
    # Well inside the 15 s budget: a dead broker adds no waiting of its own to the stop.
    assert took < 5, f"stopping took {took:.1f}s"
