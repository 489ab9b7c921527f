"""Finding the broker: the configured one, a supervised embedded one, or that of a running `up`."""

from __future__ import annotations

import contextlib
from contextlib import ExitStack

from adapters.kafka.broker import EmbeddedBroker
from adapters.kafka.client import Bootstrap, ensure_topics, topics_of
from adapters.kafka.publisher import KafkaPublisher
from adapters.kafka.supervisor import BrokerSupervisor
from engine.ports import Publisher
from engine.settings import Settings

BROKER_ADDRESS = "broker.address"


def start_broker(settings: Settings, stack: ExitStack) -> tuple[Bootstrap, BrokerSupervisor | None]:
    """The Kafka bootstrap address, with perfledger's topics: the configured broker, or a
    supervised embedded one."""
    bootstrap, supervisor = _broker(settings, stack)
    ensure_topics(bootstrap, settings)
    return bootstrap, supervisor


def _broker(settings: Settings, stack: ExitStack) -> tuple[Bootstrap, BrokerSupervisor | None]:
    if settings.kafka_bootstrap:
        return settings.kafka_bootstrap, None
    settings.private_data_dir()
    broker = EmbeddedBroker(log_path=settings.data_dir / "broker.log")
    stack.callback(broker.stop)
    broker.start()
    supervisor = BrokerSupervisor(
        broker, settings.data_dir / BROKER_ADDRESS, settings.broker_restart_seconds
    )
    stack.callback(supervisor.close)
    return supervisor.start().address, supervisor


def client_bootstrap(settings: Settings) -> Bootstrap | None:
    """The broker a client command should use: the configured one, or that of a running `up`.

    The embedded broker's address is re-read whenever the client reconnects: a broker that
    `up` restarted may have come back on another port."""
    if settings.kafka_bootstrap:
        return settings.kafka_bootstrap
    address = settings.data_dir / BROKER_ADDRESS
    if not address.exists():
        return None
    last = [address.read_text().strip()]

    def current() -> str:
        # When `up` stopped the file is gone: keep the last address; the client's own errors say
        # the rest.
        with contextlib.suppress(OSError):
            last[0] = address.read_text().strip() or last[0]
        return last[0]

    return current


class TelephonyStream:
    """Where `perfledger simulate` sends: the telephony topic of the broker a client finds."""

    def __init__(self, settings: Settings, bootstrap: Bootstrap) -> None:
        ensure_topics(bootstrap, settings)
        self.topic = topics_of(settings).telephony
        self.publisher: Publisher = KafkaPublisher(bootstrap, settings)

    def close(self) -> None:
        self.publisher.close()


def telephony_stream(settings: Settings) -> TelephonyStream | None:
    """The telephony topic (created when missing) and a publisher to it; None when no broker is
    known."""
    bootstrap = client_bootstrap(settings)
    return TelephonyStream(settings, bootstrap) if bootstrap else None
