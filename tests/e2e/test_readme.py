"""The README's commands run as written, in order, against a fresh data directory.

Blocks are chosen by the HTML comment before them: `<!-- readme-test: install -->` is the
install step, which is not run: the temp directory gets a `.venv` link to the interpreter
running this test instead (the package is already installed there). `server` is started in
the background with PERFLEDGER_PORT set to a free port; `base` must set BASE to the
default address and is replaced by one pointing at that port; every `run` block is then
executed as written, in one bash script with `set -euo pipefail`, `curl` failing on any
HTTP error status (so every answer must be 2xx). Everything started is stopped in a finally.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support import wait_until

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"<!-- readme-test: (\w+) -->\n```sh\n(.*?)```", re.DOTALL)
DEFAULT_BASE = "BASE=http://127.0.0.1:8000\n"
PRELUDE = """set -euo pipefail
curl() { command curl --fail-with-body "$@"; }  # an HTTP error status fails the script
"""


def marked_blocks(readme: str) -> list[tuple[str, str]]:
    """The README's marked shell blocks, in order: (kind, text)."""
    return [(match.group(1), match.group(2)) for match in BLOCK.finditer(readme)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fresh_env() -> dict[str, str]:
    """The caller's environment without any PERFLEDGER_* setting: a new user's shell."""
    return {name: value for name, value in os.environ.items() if not name.startswith("PERFLEDGER_")}


def start_server(block: str, workdir: Path, port: int) -> subprocess.Popen[bytes]:
    log = open(workdir / "server.log", "ab")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(
        ["bash", "-c", f"exec {block.strip()}"],
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**fresh_env(), "PERFLEDGER_PORT": str(port)},
        start_new_session=True,
    )


def ready(server: subprocess.Popen[bytes], base: str, workdir: Path) -> bool:
    if server.poll() is not None:
        raise AssertionError(f"the README's server exited: {(workdir / 'server.log').read_text()}")
    try:
        return httpx.get(f"{base}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def stop(server: subprocess.Popen[bytes]) -> None:
    """Ctrl-C, as the README says; killed when it does not end."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def test_readme_blocks_are_marked_in_the_order_a_newcomer_runs_them() -> None:
    kinds = [kind for kind, _ in marked_blocks((ROOT / "README.md").read_text(encoding="utf-8"))]
    assert kinds[:3] == ["install", "server", "base"] and kinds.count("server") == 1
    assert set(kinds[3:]) == {"run"}


def test_readme_client_commands_use_base_not_a_fixed_port() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.count("http://127.0.0.1:8000") == 2  # the server's default, and BASE's
    assert DEFAULT_BASE.strip() in readme


def test_readme_commands_run_as_written(tmp_path: Path) -> None:
    blocks = marked_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    workdir = tmp_path / "fresh"
    workdir.mkdir()
    shutil.copy(ROOT / "README.md", workdir)
    (workdir / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_block = next(text for kind, text in blocks if kind == "server")
    assert next(text for kind, text in blocks if kind == "base") == DEFAULT_BASE
    script = PRELUDE + f"BASE={base}\n" + "".join(text for kind, text in blocks if kind == "run")
    server = start_server(server_block, workdir, port)
    try:
        wait_until(lambda: ready(server, base, workdir), timeout=60, interval=0.2)
        result = subprocess.run(
            ["bash", "-c", script],
            cwd=workdir,
            env=fresh_env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, (
            f"README commands failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n"
            f"server log:\n{(workdir / 'server.log').read_text()}"
        )
        assert '"Lower handle time"' in result.stdout  # the goal read back
        assert '"occupancy_rate"' in result.stdout  # the simulated day's KPIs
    finally:
        stop(server)
    assert server.returncode == 0, (workdir / "server.log").read_text()
