"""The embedded broker's supervisor: a dead broker comes back, at a new address if its port is
taken."""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path

from adapters.kafka.broker import EmbeddedBroker
from adapters.kafka.client import ensure_topics, resolve
from adapters.kafka.life import BrokerLife
from adapters.kafka.publisher import KafkaPublisher
from adapters.kafka.supervisor import BrokerSupervisor
from engine.bootstrap import client_bootstrap
from tests.support import make_settings, wait_until


def test_a_broker_whose_port_was_taken_comes_back_on_a_new_one_that_clients_follow(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 't.db'}", None)
    address_file = settings.data_dir / "broker.address"
    settings.data_dir.mkdir(parents=True)
    supervisor = BrokerSupervisor(EmbeddedBroker().start(), address_file, restart_delay=0.5).start()
    publisher = KafkaPublisher(supervisor.address, settings, timeout=5)
    life = BrokerLife(settings, supervisor.address)
    other_process = client_bootstrap(settings)  # how `perfledger simulate` finds the broker
    assert other_process is not None
    try:
        ensure_topics(supervisor.address, settings)
        first_life, first_address = life.current(), supervisor.address()
        assert supervisor.broker.process is not None
        os.kill(supervisor.broker.process.pid, signal.SIGKILL)
        wait_until(lambda: not supervisor.available, timeout=5)
        with socket.socket() as squatter:  # someone else listens on the old port before the restart
            squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            squatter.bind(("127.0.0.1", supervisor.broker.port))
            squatter.listen()
            wait_until(lambda: supervisor.available, timeout=30)
        assert supervisor.address() != first_address
        assert address_file.read_text() == supervisor.address() == resolve(other_process)
        assert supervisor.broker.process is not None and supervisor.restarts == 1
        wait_until(lambda: _publishes(publisher, settings.kafka_topic_prefix + "probe"), timeout=30)
        assert life.current() != first_life
    finally:
        publisher.close()
        life.close()
        supervisor.close()
    assert not address_file.exists()


def _publishes(publisher: KafkaPublisher, topic: str) -> bool:
    try:
        publisher.publish(topic, [(b"k", b"v")])
    except Exception:  # noqa: BLE001 - not yet reconnected
        return False
    return True
