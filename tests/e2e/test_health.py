"""`perfledger health`, as a container health check runs it, against a running `perfledger up`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from adapters.kafka.broker import EmbeddedBroker, free_port
from tests.support import make_settings, wait_until


def health(env: dict[str, str], *args: str) -> int:
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", "health", *args],
        env=env,
        check=False,
        capture_output=True,
        timeout=60,
    ).returncode


def test_health_follows_the_components_of_a_running_up_and_fails_once_it_is_killed(
    tmp_path: Path, broker: EmbeddedBroker
) -> None:
    settings = make_settings(
        tmp_path,
        f"sqlite:///{tmp_path / 'pl.db'}",
        broker.bootstrap,
        liveness_seconds=0.2,
        port=free_port(),
    )
    env = {**os.environ, **settings.as_environment()}
    log = tmp_path / "up.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "up", "--only", "api,relay"],
        env=env,
        stdout=open(log, "ab"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: health(env, "--component", "api") == 0, timeout=60, interval=0.2)
        assert health(env, "--component", "relay") == 0
        assert health(env) == 0  # every component that reported
        assert health(env, "--component", "projector") == 1  # not run here
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        wait_until(
            lambda: health(env, "--component", "relay", "--max-age", "1") == 1,
            timeout=30,
            interval=0.2,
        )
        assert health(env, "--component", "api") == 1
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
