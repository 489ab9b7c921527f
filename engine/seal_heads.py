"""Published chain heads: where the seal chains are known to have reached, kept outside the
database.

A chain alone cannot show that its end was cut off, seals and all, nor that its seal
table was emptied and refilled. So the sealer publishes each chain's head (position and
chain value) to places the database cannot rewrite: a file in the data directory
(atomically replaced) and a Kafka topic. The sealer refuses to seal when the database's
chain no longer reaches the newest published head, and `verify` compares against it.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

Head = tuple[int, str]  # (position, chain value), as verify prints it: N:CHAIN
STORES = ("events", "archive")
FILE_NAME = "seal-heads.json"
REMOTE_BACKOFF = 5  # after a failed publish to Kafka, wait this many intervals more
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Heads:
    """The heads of the events chain and the archive chain (None: never published)."""

    events: Head | None = None
    archive: Head | None = None
    source: str = ""
    error: str = ""  # a place that could not be read although it exists (a sign of tampering)

    def of(self, store: str) -> Head | None:
        return self.events if store == "events" else self.archive

    def as_json(self) -> dict[str, Any]:
        return {
            store: None if (h := self.of(store)) is None else {"position": h[0], "chain": h[1]}
            for store in STORES
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], source: str) -> Heads:
        def head(store: str) -> Head | None:
            value = data.get(store)
            return None if not value else (int(value["position"]), str(value["chain"]))

        return cls(head("events"), head("archive"), source)


def newest(candidates: Iterable[Heads | None]) -> Heads:
    """Per chain, the head furthest along among the candidates (their sources named)."""
    best: dict[str, tuple[Head, str]] = {}
    for heads in candidates:
        for store in STORES:
            head = None if heads is None else heads.of(store)
            if head is not None and (store not in best or head[0] > best[store][0][0]):
                best[store] = (head, heads.source if heads else "")
    sources = sorted({source for _, source in best.values()})
    return Heads(
        best.get("events", (None, ""))[0], best.get("archive", (None, ""))[0], "+".join(sources)
    )


class HeadSink(Protocol):
    """Somewhere heads are published and read back from."""

    def publish(self, heads: Heads) -> None:
        """Publishes the heads (raises when they could not be kept)."""

    def latest(self) -> Heads | None:
        """The newest heads published there, None when none (or unreachable)."""


class HeadFile:
    """Heads in a JSON file, replaced atomically so a reader never sees half of one."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def publish(self, heads: Heads) -> None:
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        with open(temporary, "w") as out:
            json.dump(heads.as_json(), out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.path)

    def latest(self) -> Heads | None:
        try:
            return Heads.from_json(json.loads(self.path.read_text()), "file")
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(
                f"the published heads file {self.path} is unreadable: {error}"
            ) from None


class PublishedHeads:
    """The file first, then (when configured) Kafka: read the newest, publish to both.

    Kafka is told at most every `remote_every` seconds, since the embedded broker keeps
    every record in memory: it may lag the file by that much, never lead it.
    """

    def __init__(
        self, file: HeadSink, remote: HeadSink | None = None, remote_every: float = 10.0
    ) -> None:
        self.file = file
        self.remote = remote
        self.remote_every = remote_every
        self._remote_at = float("-inf")
        self._pending: Heads | None = None

    def latest(self) -> Heads:
        """The newest head of each chain among the places it was published to."""
        try:
            local, error = self.file.latest(), ""
        except ValueError as unreadable:
            local, error = None, str(unreadable)
        found = newest([local, self.remote.latest() if self.remote else None])
        return Heads(found.events, found.archive, found.source, error)

    def publish(self, heads: Heads, now: float) -> None:
        """Replaces the file (raises when it cannot be written); Kafka hears it when due."""
        self.file.publish(heads)
        self._pending = heads
        self.tick(now)

    def tick(self, now: float) -> None:
        """Tells Kafka the last heads it has not heard yet, when due."""
        if (
            self.remote is None
            or self._pending is None
            or now - self._remote_at < self.remote_every
        ):
            return
        try:
            self.remote.publish(self._pending)
            self._remote_at, self._pending = now, None
        except Exception as error:  # noqa: BLE001 - the file holds it; Kafka gets it later
            # Back off: each try against a broker that is down costs the sealer seconds.
            self._remote_at = now + REMOTE_BACKOFF * self.remote_every
            log.warning("seal heads: not published to Kafka: %s", error)
