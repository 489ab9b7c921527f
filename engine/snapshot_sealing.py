"""Sealed snapshots: a snapshot is only used when its keyed seal matches its stored bytes.

eventsourcing keeps snapshots in their own table and loads an aggregate from the latest
one plus the events after it, so an edited snapshot row would silently change what every
command, replay and explanation sees. Each snapshot is sealed when it is taken (the seal
is written first: a crash between the two leaves a seal without a snapshot, which only
costs a longer replay). On load, a snapshot whose seal is missing or does not match is
ignored and the aggregate is replayed from its events; `verify` reports the mismatch.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from eventsourcing.persistence import EventStore, Recording, StoredEvent

from engine.integrity import snapshot_seal

log = logging.getLogger(__name__)
SealRow = tuple[str, int, str]  # originator id, version, seal


class SnapshotSealStore(Protocol):
    """Where snapshot seals are kept (a table beside the event store)."""

    def put(self, rows: Sequence[SealRow]) -> None:
        """Stores (or replaces) the seals, committed before the snapshots are written."""

    def seal_of(self, originator_id: str, version: int) -> str | None:
        """The seal kept for that snapshot, None when there is none."""


class SealedSnapshotStore(EventStore[Any]):
    """The application's snapshot store, sealing what it puts and checking what it gets."""

    def __init__(self, inner: EventStore[Any], key: bytes, seals: SnapshotSealStore) -> None:
        super().__init__(inner.mapper, inner.recorder)
        self.key = key
        self.seals = seals
        self.ignored = 0  # snapshots refused on load since start (tests and metrics read it)

    def put(self, domain_events: Sequence[Any], **kwargs: Any) -> list[Recording[Any]]:
        stored = [self.mapper.to_stored_event(event) for event in domain_events]
        self.seals.put([(str(s.originator_id), s.originator_version, self.seal(s)) for s in stored])
        self.recorder.insert_events(stored, **kwargs)
        return []

    def get(
        self,
        originator_id: Any,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Iterator[Any]:
        stored = self.recorder.select_events(
            originator_id=originator_id, gt=gt, lte=lte, desc=desc, limit=limit
        )
        return map(self.mapper.to_domain_event, [s for s in stored if self._trusted(s)])

    def seal(self, stored: StoredEvent) -> str:
        return snapshot_seal(
            self.key,
            str(stored.originator_id),
            stored.originator_version,
            stored.topic,
            bytes(stored.state),
        )

    def _trusted(self, stored: StoredEvent) -> bool:
        kept = self.seals.seal_of(str(stored.originator_id), stored.originator_version)
        if kept == self.seal(stored):
            return True
        # Replaying from the events is always right, only slower: never trust an unsealed snapshot.
        self.ignored += 1
        log.warning(
            "snapshot of %s at version %s %s: ignored, replaying from events",
            stored.originator_id,
            stored.originator_version,
            "has no seal" if kept is None else "does not match its seal",
        )
        return False


def seal_snapshots(app: Any, key: bytes, seals: SnapshotSealStore) -> None:
    """Makes the application seal its snapshots and load only sealed ones."""
    if app.snapshots is None:
        return
    store = SealedSnapshotStore(app.snapshots, key, seals)
    app.snapshots = store
    app.repository.snapshot_store = store


def seal_if_replay_agrees(app: Any, keys: Iterator[tuple[Any, int]]) -> int:
    """Seals snapshots that have no seal (taken before sealing existed) when a replay of the
    aggregate's events up to the same version gives the same snapshot; returns how many.

    A snapshot that differs from its replay stays unsealed, so it is never used."""
    store = app.snapshots
    if not isinstance(store, SealedSnapshotStore):
        return 0
    sealed = 0
    for originator_id, version in keys:
        found = store.recorder.select_events(
            originator_id=originator_id, gt=version - 1, lte=version
        )
        if not found or store.seals.seal_of(str(originator_id), version) is not None:
            continue
        if _as_replayed(app, store, found[0]):
            store.seals.put([(str(originator_id), version, store.seal(found[0]))])
            sealed += 1
        else:
            log.warning(
                "snapshot of %s at version %s differs from a replay of its events: left unsealed",
                originator_id,
                version,
            )
    return sealed


def _as_replayed(app: Any, store: SealedSnapshotStore, stored: StoredEvent) -> bool:
    """True when the stored snapshot equals one taken now from a replay of the events alone."""
    snapshot: Any = store.mapper.to_domain_event(stored)
    events = app.events.get(stored.originator_id, lte=stored.originator_version)
    aggregate = None
    for event in events:
        aggregate = event.mutate(aggregate)
    if aggregate is None or aggregate.version != stored.originator_version:
        return False
    snapshot_class = getattr(type(aggregate), "Snapshot", type(app).snapshot_class)
    # Round-tripped through the mapper, so both states are compared in the same decoded form.
    fresh: Any = store.mapper.to_domain_event(
        store.mapper.to_stored_event(snapshot_class.take(aggregate))
    )
    return bool((fresh.topic, fresh.state) == (snapshot.topic, snapshot.state))
