"""Without the test PostgreSQL server, a run stops at once and says what to start."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NEEDS_POSTGRES = (
    "tests/integration/test_goal_and_review_rules.py::"
    "test_a_manager_cannot_command_their_own_goal[postgres]"
)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_pytest(target: str, server: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PERFLEDGER_TEST_POSTGRES": server}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", target],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_run_needing_postgres_without_a_server_fails_saying_what_to_start() -> None:
    server = f"postgresql://postgres@127.0.0.1:{closed_port()}/test"
    result = run_pytest(NEEDS_POSTGRES, server)
    output = result.stdout + result.stderr
    assert result.returncode == 4, output  # pytest's usage error: non-zero, not a skip
    assert f"PostgreSQL is not reachable at {server}" in output
    assert (
        "trust auth and a database `test`" in output and "apt-get install -y postgresql" in output
    )
    assert "PERFLEDGER_TEST_POSTGRES=" in output
    assert "skipped" not in output.split("PostgreSQL is not reachable")[0]


def test_a_run_needing_no_postgres_is_not_stopped_by_its_absence() -> None:
    server = f"postgresql://postgres@127.0.0.1:{closed_port()}/test"
    result = run_pytest("tests/unit/test_settings_doc.py", server)
    assert result.returncode == 0, result.stdout + result.stderr
