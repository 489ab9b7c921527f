"""`PERFLEDGER_LOG_FORMAT=json`: `perfledger up` writes one JSON object a line on stderr."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from adapters.kafka.broker import free_port
from tests.support import SECRET, token, wait_until

ADMIN = token("admin", "alice")


def answers(url: str, process: subprocess.Popen[bytes]) -> bool:
    if process.poll() is not None:
        raise AssertionError("perfledger up exited")
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_up_logs_json_lines_with_request_id_route_status_latency_and_principal(
    tmp_path: Path,
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PERFLEDGER_DATA_DIR": str(tmp_path / "data"),
        "PERFLEDGER_SECRET": SECRET,
        "PERFLEDGER_LOG_FORMAT": "json",
    }
    env.pop("PERFLEDGER_KAFKA_BOOTSTRAP", None)
    stderr = tmp_path / "stderr.log"
    with open(stderr, "wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "engine.cli", "up", "--only", "api", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )
    try:
        wait_until(lambda: answers(url, process), timeout=30, interval=0.1)
        response = httpx.get(
            f"{url}/v1/goals", headers={**ADMIN, "X-Request-ID": "json-check-1"}, timeout=5
        )
        assert response.status_code == 200 and response.headers["X-Request-ID"] == "json-check-1"

        def access_line() -> dict[str, Any] | None:
            lines = [json.loads(line) for line in stderr.read_text().splitlines() if line.strip()]
            return next((line for line in lines if line.get("request_id") == "json-check-1"), None)

        access = wait_until(access_line, timeout=10)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as garbage:
            garbage.sendall(b"NOT HTTP AT ALL\r\n\r\n")  # uvicorn warns about it on its own logger
            garbage.recv(1024)

        def uvicorn_line() -> dict[str, Any] | None:
            lines = [json.loads(line) for line in stderr.read_text().splitlines() if line.strip()]
            return next((line for line in lines if line["name"].startswith("uvicorn")), None)

        uvicorn = wait_until(uvicorn_line, timeout=10)
    finally:
        process.terminate()
        process.wait(30)
    # Every line is JSON (json.loads above), uvicorn's included, and the access line has the fields.
    assert access["name"] == "perfledger.access" and access["level"] == "INFO"
    assert (access["route"], access["status"], access["principal"]) == ("/v1/goals", 200, "alice")
    assert isinstance(access["latency_ms"], float)
    assert uvicorn["level"] == "WARNING" and uvicorn["message"]
    assert ADMIN["Authorization"].removeprefix("Bearer ") not in stderr.read_text()
