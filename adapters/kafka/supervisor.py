"""Supervision of the embedded broker: a broker that dies is reaped and started again.

A restarted embedded broker is a new, empty life (adapters/kafka/life.py): the relay
re-feeds it from the event store, consumers rewind, and the telephony inbox re-publishes
what HTTP clients were promised. It comes back on its old loopback port when it can, so
connected clients simply reconnect; when another process took the port it comes back on
a new one, written to <data dir>/broker.address and handed to every client in this
process through `address()`.
"""

from __future__ import annotations

import logging
import socket
import threading
from pathlib import Path

from adapters.kafka.broker import EmbeddedBroker, free_port

log = logging.getLogger(__name__)


class BrokerSupervisor:
    """Watches one embedded broker from its own thread and restarts it when it dies."""

    def __init__(
        self, broker: EmbeddedBroker, address_file: Path, restart_delay: float = 0.5
    ) -> None:
        self.broker = broker
        self.address_file = address_file
        self.restart_delay = restart_delay
        self.restarts = 0
        self.available = True
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def address(self) -> str:
        """The broker's address now (clients resolve it whenever they reconnect)."""
        return self.broker.bootstrap

    def start(self) -> BrokerSupervisor:
        self._publish_address()
        self._thread = threading.Thread(target=self._watch, name="perfledger-broker", daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        # The broker dies with the thread that started it (parent-death signal), so the
        # brokers this thread restarts are also stopped by this thread, on close().
        while not self._stop.wait(0.2):
            process = self.broker.process
            if process is None or process.poll() is None:  # poll() also reaps a dead child
                continue
            self.available = False
            log.warning(
                "embedded broker exited with code %s; starting a new one", process.returncode
            )
            self._restart()
        self.broker.stop(timeout=2.0)

    def _restart(self) -> None:
        delay = self.restart_delay
        same_port = True
        while not self._stop.wait(delay):
            if not same_port or _listening(self.broker.port):  # someone else took the old port
                self.broker.port = free_port()
            try:
                self.broker.start()
            except Exception as error:  # noqa: BLE001 - keep trying, on a new port from now on
                log.warning("embedded broker did not start on %s: %s", self.broker.bootstrap, error)
                same_port, delay = False, min(max(delay, 0.2) * 2, 5.0)
                continue
            self._publish_address()
            self.restarts += 1
            self.available = True
            return

    def _publish_address(self) -> None:
        # Written whole and renamed, so a client never reads half an address.
        partial = self.address_file.with_suffix(".partial")
        partial.write_text(self.broker.bootstrap)
        partial.replace(self.address_file)

    def close(self, timeout: float = 2.0) -> None:
        """Stops watching and stops the broker (call it after the broker's clients stopped)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
        self.broker.stop(timeout=timeout)
        self.address_file.unlink(missing_ok=True)


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1.0)
        return probe.connect_ex(("127.0.0.1", port)) == 0
