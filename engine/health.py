"""Component health: which worker is retrying which position, since when, and why.

Each process keeps a `HealthBoard` (in memory, so /readyz in the same process answers
without touching the database). A board may also have a sink that persists every
report (adapters/sql/health.py), so that an API running in another process sees
a stuck projector too. Reports go to the sink on failures and on recovery only, never
on every healthy batch.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ComponentHealth:
    """One component instance: its cumulative retries and, while failing, where and since when."""

    component: str
    instance: str
    retries: int = 0
    since: datetime | None = None  # first failure at `position`; None while healthy
    last_failure: datetime | None = None
    position: str | None = None
    reason: str | None = None

    def stuck_for(self, now: datetime) -> float:
        """Seconds this instance has been retrying the same position (0 while healthy)."""
        return (now - self.since).total_seconds() if self.since else 0.0


Sink = Callable[[ComponentHealth], None]


def instance_name() -> str:
    """Host, process and a short random part: unique per worker, readable in /readyz."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class HealthBoard:
    """The health of this process's workers; thread-safe."""

    def __init__(self, sink: Sink | None = None) -> None:
        self.sink = sink
        self._lock = threading.Lock()
        self._entries: dict[str, ComponentHealth] = {}

    def register(self, component: str) -> str:
        """A new instance of a component; returns its key for later reports."""
        key = instance_name()
        with self._lock:
            self._entries[key] = ComponentHealth(component, key)
        return key

    def failed(self, key: str, position: str, reason: str) -> ComponentHealth:
        """One more failed attempt at `position`.

        The clock runs from the first failure until the worker makes progress again: after a
        reconnect a batch may start at another partition, yet nothing has moved.
        """
        now = datetime.now(UTC)
        with self._lock:
            old = self._entries[key]
            since = old.since or now
            entry = replace(
                old,
                retries=old.retries + 1,
                since=since,
                last_failure=now,
                position=position,
                reason=reason,
            )
            self._entries[key] = entry
        self._persist(entry)
        return entry

    def recovered(self, key: str) -> None:
        """The instance made progress; a no-op unless it was failing."""
        with self._lock:
            old = self._entries[key]
            if old.since is None:
                return
            entry = replace(old, since=None, position=None, reason=None)
            self._entries[key] = entry
        self._persist(entry)

    def quiet_since(self, key: str, seconds: float) -> None:
        """Clears a failure not repeated for `seconds`: the worker no longer retries that
        position."""
        entry = self.get(key)
        last = entry.last_failure
        if (
            entry.since is not None
            and last is not None
            and (datetime.now(UTC) - last).total_seconds() > seconds
        ):
            self.recovered(key)

    def get(self, key: str) -> ComponentHealth:
        with self._lock:
            return self._entries[key]

    def entries(self) -> list[ComponentHealth]:
        with self._lock:
            return list(self._entries.values())

    def stuck(self, threshold: float) -> list[ComponentHealth]:
        """Instances retrying one position for longer than `threshold` seconds."""
        now = datetime.now(UTC)
        return [e for e in self.entries() if e.since is not None and e.stuck_for(now) > threshold]

    def _persist(self, entry: ComponentHealth) -> None:
        if self.sink is None:
            return
        try:
            self.sink(entry)
        except Exception as error:  # noqa: BLE001 - the store may be the fault; memory still knows
            log.debug("health of %s not stored: %s", entry.component, error)


def merge(local: list[ComponentHealth], stored: list[ComponentHealth]) -> list[ComponentHealth]:
    """This process's entries (fresh, in memory) and other processes' (as stored), one per
    instance."""
    mine = {e.instance for e in local}
    return [*local, *(e for e in stored if e.instance not in mine)]


def is_stale(entry: ComponentHealth, now: datetime, threshold: float) -> bool:
    """A failing entry not repeated for a long while: its process most likely died (or lost the
    store)."""
    return (
        entry.last_failure is not None
        and (now - entry.last_failure).total_seconds() > threshold + 60
    )


def describe(entry: ComponentHealth, now: datetime) -> dict[str, object]:
    """An entry as /readyz shows it."""
    return {
        "component": entry.component,
        "instance": entry.instance,
        "position": entry.position,
        "reason": entry.reason,
        "since": entry.since.isoformat() if entry.since else None,
        "retrying_seconds": round(entry.stuck_for(now), 1),
        "retries": entry.retries,
    }


class Backoff:
    """Exponential backoff, capped: 0.2 s, 0.4 s, ... up to `cap`."""

    def __init__(self, first: float = 0.2, cap: float = 5.0) -> None:
        self.first, self.cap = first, cap
        self.delay = first

    def next(self) -> float:
        delay, self.delay = self.delay, min(self.delay * 2, self.cap)
        return delay

    def reset(self) -> None:
        self.delay = self.first
