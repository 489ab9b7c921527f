"""What the engine needs from the outside world; real ones live in adapters/."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

Message = tuple[bytes, bytes] | tuple[bytes, bytes, Sequence[tuple[str, bytes]]]


class Publisher(Protocol):
    """Sends keyed messages (with optional headers) to a topic; returns when all are acknowledged."""

    def publish(self, topic: str, messages: Sequence[Message]) -> None: ...

    def close(self) -> None: ...


class BrokerLifeSource(Protocol):
    """The identity of the broker's current life (see adapters/kafka/life.py)."""

    def current(self, timeout: float = 10.0) -> str: ...

    def close(self) -> None: ...


class RelayPositions(Protocol):
    """Where the relay stands in the notification log, and in which broker life."""

    def load(self) -> tuple[str, int] | None: ...

    def save(self, life: str, position: int) -> None: ...


class Parking(Protocol):
    """Where a component sets aside what it cannot pass on (a data fault), with the reason."""

    def park(self, aggregate_id: str, version: int, source: str, reason: str, payload: bytes | None) -> None: ...
