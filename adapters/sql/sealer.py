"""Sealing: the event store's notifications and the telephony archive, chained by hash.

Events: the sealer worker reads the notification log after the last seal and writes one
seal per event: a digest of the stored bytes, the per-aggregate hash (the same rule as the
event-trail model's, so exports and /events show it) and a link of the keyed global chain.
An event is sealed within `seal_interval_seconds` of being stored; until then it is the
"unsealed tail" that `verify` counts (the window). Sealing never touches the command path.

Archive: the ingestor chains its rows in the same transaction that archives them
(`chain_archive`), so the archive has no window; rows archived before chaining existed
are chained by the sealer once, at start (`chain_unchained`), and only while no archive
head was ever published: after that, an unchained row is reported by verify, never chained.

Published heads (engine/seal_heads.py): after each pass the sealer publishes both chains'
heads outside the database. Before sealing it checks that the seal table still reaches
the newest published head; when it does not (seals deleted or rewritten), it refuses to
seal, so missing seals are reported by verify rather than silently made again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from adapters.sql import archive as archive_sql
from adapters.sql import seals
from adapters.sql.database import Cursor, Database
from adapters.sql.seals import unsealed_snapshots
from aggregates.contract import envelope_of, event_hash
from engine.integrity import ARCHIVE_COLUMNS, GENESIS, archive_digest, digest, link
from engine.seal_heads import Head, Heads, PublishedHeads
from engine.snapshot_sealing import seal_if_replay_agrees

log = logging.getLogger(__name__)


class SealingRefused(RuntimeError):
    """The seal table no longer reaches a head that was published: sealing would hide it."""


SEAL_LOCK = 4712  # PostgreSQL advisory lock: one sealer at a time, whatever the process


def chain_archive(cur: Cursor, rows: Sequence[Sequence[Any]], key: bytes) -> None:
    """Chains newly archived rows (tuples in ARCHIVE_COLUMNS order); call under the archive lock."""
    if not rows:
        return
    head = archive_sql.chain_head(cur)
    position, prev = (int(head["position"]), head["chain"]) if head else (0, GENESIS)
    chained = []
    for row in rows:
        position += 1
        record = dict(zip(ARCHIVE_COLUMNS, row, strict=True))
        sealed = archive_digest(record)
        prev = link(key, prev, (position, record["event_id"], sealed))
        chained.append((position, record["event_id"], sealed, prev))
    archive_sql.add_links(cur, chained)


def chain_unchained(db: Database, key: bytes, batch: int = 5000) -> int:
    """Chains archive rows that have no link yet (archived before chaining); returns how many."""
    done = 0
    while True:
        with db.transaction() as cur:
            archive_sql.lock(cur)
            rows = [
                tuple(r[c] for c in ARCHIVE_COLUMNS)
                for r in archive_sql.unchained(cur, ARCHIVE_COLUMNS, batch)
            ]
            chain_archive(cur, rows, key)
        done += len(rows)
        if len(rows) < batch:
            return done


class Sealer:
    """Seals new notifications of the event store into the keyed chain."""

    def __init__(
        self,
        app: Any,
        db: Database,
        key: bytes,
        batch: int = 1000,
        every: float = 1.0,
        settle: float = 2.0,
        heads: PublishedHeads | None = None,
    ) -> None:
        self.app = app
        self.heads = heads
        self.known: Heads | None = (
            None  # the newest published heads (read once, then kept up to date)
        )
        self.refused: str | None = None
        self.archive_refused: str | None = None
        self.announced = False
        self.settle = settle
        self.db = db
        self.key = key
        self.batch = batch
        self.every = every
        self.sealed = 0

    def step(self) -> int:
        """Seals the next batch of notifications and publishes the heads;
        returns how many it sealed."""
        known = self._known()
        if known.error:
            self.known = None  # read again next pass
            raise SealingRefused(
                f"{known.error}: nothing is sealed until it is restored or removed"
            )
        self._check_reaches("events", known.events)
        sealed = self._seal_batch()
        self._publish(known)
        self.refused = None
        return sealed

    def _seal_batch(self) -> int:
        # Seals are computed outside the write transaction, which then only checks that
        # no other sealer moved the head meanwhile: commands are never kept waiting long.
        head = self._head(None)
        notifications = self.app.recorder.select_notifications(
            start=head[0], limit=self.batch, inclusive_of_start=False
        )
        envelopes = self._settled(
            [(n, envelope_of(n.id, n.topic, self.app.event_as_dict(n))) for n in notifications]
        )
        if not envelopes:
            return 0
        with self.db.transaction() as cur:
            if self.db.is_postgres:
                cur.execute("SELECT pg_advisory_xact_lock(?)", (SEAL_LOCK,))
            if self._head(cur) != head:
                return 0  # another sealer got there first; the next step starts from its head
            heads = seals.aggregate_heads(cur, sorted({e.id for _, e in envelopes}))
            now, rows, chain = datetime.now(UTC).isoformat(), [], head[1]
            for n, envelope in envelopes:
                prev = heads.get(envelope.id, GENESIS)
                content = event_hash(prev, envelope)
                sealed = digest(n.topic, n.state)
                chain = link(
                    self.key, chain, (n.id, envelope.id, envelope.version, sealed, content)
                )
                heads[envelope.id] = content
                rows.append(
                    (n.id, envelope.id, envelope.version, sealed, content, prev, chain, now)
                )
            seals.add_seals(cur, rows)
        self.sealed += len(rows)
        return len(rows)

    def _known(self) -> Heads:
        if self.known is None:
            self.known = self.heads.latest() if self.heads is not None else Heads()
        return self.known

    def _check_reaches(self, store: str, head: Head | None) -> None:
        """Refuses when the chain in the database does not pass through a published head."""
        if head is None or head[0] == 0:
            return
        found = chain_at(self.db, store, head[0])
        if found != head[1]:
            what = "is gone" if found is None else "holds another chain value"
            raise SealingRefused(
                f"{store} chain position {head[0]}, published as a head, {what}: "
                "seals were deleted or rewritten; nothing is sealed until they are restored "
                "(perfledger verify names what differs)"
            )

    def _publish(self, known: Heads) -> None:
        """Publishes the heads reached, when they moved;
        an archive head only if it extends the known one."""
        if self.heads is None:
            return
        events = self._head(None)
        archive = archive_head(self.db)
        try:
            self._check_reaches("archive", known.archive)
        except SealingRefused as error:
            # The ingestor keeps chaining (it must not stop on this), but its new chain is
            # never published over the old head: verify keeps reporting the difference.
            if str(error) != self.archive_refused:
                log.error("sealer: %s", error)
            self.archive_refused = str(error)
            archive = known.archive or (0, GENESIS)
        new = Heads(events, archive)
        # The first pass always publishes: the places read at start may lack what the others hold.
        if not self.announced or new != Heads(
            known.events or (0, GENESIS), known.archive or (0, GENESIS)
        ):
            self.announced = True
            self.heads.publish(new, time.monotonic())
            self.known = new
        else:
            self.heads.tick(time.monotonic())

    def _head(self, cur: Cursor | None) -> tuple[int, str]:
        """The last seal's notification id and chain value (0 and GENESIS before any)."""
        rows = seals.head_rows(self.db, cur)
        return (int(rows[0]["notification_id"]), rows[0]["chain"]) if rows else (0, GENESIS)

    def _settled(self, pairs: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
        """The notifications up to the first one younger than `settle` seconds.

        eventsourcing's PostgreSQL insert function takes no table lock, so two concurrent
        commands can commit out of notification-id order; waiting a moment before sealing
        lets the lower id appear first. SQLite writes are serial and need no wait.
        """
        if not self.db.is_postgres or self.settle <= 0:
            return pairs
        cutoff = datetime.now(UTC).timestamp() - self.settle
        for index, (_, envelope) in enumerate(pairs):
            if datetime.fromisoformat(envelope.at).timestamp() > cutoff:
                return pairs[:index]
        return pairs

    def seal_all(self) -> int:
        """Seals until nothing is left; returns how many it sealed."""
        total = 0
        while done := self.step():
            total += done
        return total

    def run(self, stop: threading.Event) -> None:
        """Chains archive rows from before chaining once,
        then seals every `every` seconds until stopped."""
        try:
            self.chain_legacy_archive()
        except Exception as error:  # noqa: BLE001 - the sealer must outlive a failed pass
            log.warning("sealer: chaining the archive failed: %s", error)
        try:
            self.seal_legacy_snapshots()
        except Exception as error:  # noqa: BLE001 - unsealed snapshots are merely not used
            log.warning("sealer: sealing earlier snapshots failed: %s", error)
        while not stop.is_set():
            try:
                if self.step() == self.batch:
                    continue
            except SealingRefused as error:
                if str(error) != self.refused:
                    log.error("sealer: %s", error)
                self.refused = str(error)
            except Exception as error:  # noqa: BLE001 - retried on the next pass
                log.warning("sealer: %s", error)
            stop.wait(self.every)

    def seal_legacy_snapshots(self) -> int:
        """Seals snapshots taken before sealing existed,
        each only if a replay of its events agrees."""
        if getattr(self.app, "snapshots", None) is None:
            return 0
        table = self.app.snapshots.recorder.events_table_name
        return seal_if_replay_agrees(self.app, unsealed_snapshots(self.db, table))

    def chain_legacy_archive(self) -> int:
        """Chains archive rows archived before chaining existed, only while no archive head was
        ever published: after that an unchained row is an insertion for verify to report."""
        if (self._known().archive or (0, GENESIS))[0] > 0:
            return 0
        return chain_unchained(self.db, self.key)


def chain_at(db: Database, store: str, position: int) -> str | None:
    """The chain value at a position of the events chain or the archive chain
    (None: no such row)."""
    return seals.chain_at(db, position) if store == "events" else archive_sql.chain_at(db, position)


def archive_head(db: Database) -> Head:
    row = archive_sql.chain_head_row(db)
    return (int(row["position"]), str(row["chain"])) if row else (0, GENESIS)
