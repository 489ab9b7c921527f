"""The durable acknowledgement of HTTP telephony batches: the inbox and its re-publisher.

POST /v1/telephony/events answers 202 only once the events it accepted are rows of the inbox
table (adapters/sql/inbox_store.py), written in one transaction with the route's counters. The
route then publishes them and each row keeps the broker life it was published into (read
before the publish, so a row never names a later life than the one that holds it). A row whose
life is not the broker's current one (an embedded broker died with the messages in memory, or
the publish failed) is published again by the re-publisher that runs beside the API, at
start-up and whenever the life changes; rows the archive already holds are pruned. The
ingestor deduplicates by event_id, so publishing again never counts an event twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from adapters.kafka.life import BrokerLife
from adapters.sql import inbox_store
from adapters.sql.database import Database
from adapters.telephony.dead_letters import ACCEPTED_HEADER
from adapters.telephony.ingestor import add_counters
from engine.ports import Publisher

log = logging.getLogger(__name__)
Accepted = tuple[str, bytes, bytes]  # event_id, key (the agent id), the event's bytes
HEADERS = [(ACCEPTED_HEADER, b"http")]  # the ingestor keeps to what the HTTP answer promised


class TelephonyInbox:
    """Keeps HTTP-accepted telephony events until the archive holds them;
    publishes them again when needed."""

    def __init__(
        self,
        db: Database,
        topic: str,
        route_publisher: Publisher,
        republisher: Publisher,
        life: BrokerLife,
        available: Callable[[], bool] = lambda: True,
        batch_size: int = 5000,
    ) -> None:
        self.db = db
        self.topic = topic
        self.route_publisher = route_publisher
        self.republisher = republisher
        self.life = life
        self.available = available
        self.batch_size = batch_size
        self.republished = 0
        self._life: tuple[str, float] | None = None

    def accept(self, events: Sequence[Accepted], counters: dict[str, int]) -> None:
        """Records the events (and the counters) durably, then publishes them;
        raises when they are not durable."""
        life = self._life_hint()
        now = datetime.now(UTC).isoformat()
        with self.db.transaction() as cur:
            inbox_store.add(
                cur,
                [
                    (event_id, key.decode(), raw.decode(), life, now)
                    for event_id, key, raw in events
                ],
            )
            add_counters(cur, counters, source="http")
        if life is None or not events:
            return  # the broker is away: the re-publisher sends them when it is back
        try:
            self.route_publisher.publish(
                self.topic, [(key, raw, HEADERS) for _, key, raw in events]
            )
        except Exception as error:  # noqa: BLE001 - durable already; the re-publisher retries
            log.warning(
                "telephony inbox: publishing %d accepted events failed (%s); they wait for the "
                "re-publisher",
                len(events),
                error,
            )
            self._mark([event_id for event_id, _, _ in events], None, only_life=life)

    def _life_hint(self) -> str | None:
        # A reading up to a second old is safe: lives only move forward, so a row marked
        # with an older life is at worst published once more.
        if not self.available():
            return None
        cached = self._life
        if cached is not None and time.monotonic() - cached[1] < 1.0:
            return cached[0]
        try:
            life = self.life.current(timeout=1.0)
        except Exception:  # noqa: BLE001 - unknown life: leave the events to the re-publisher
            return None
        self._life = (life, time.monotonic())
        return life

    def step(self) -> int:
        """Prunes what the archive holds and publishes again what the current broker life lacks."""
        life = self.life.current(timeout=2.0)
        self._life = (life, time.monotonic())
        if inbox_store.is_empty(self.db):
            return 0
        inbox_store.prune_archived(self.db)
        rows = inbox_store.not_in_life(self.db, life, self.batch_size)
        if not rows:
            return 0
        self.republisher.publish(
            self.topic, [(r["msg_key"].encode(), r["payload"].encode(), HEADERS) for r in rows]
        )
        self._mark([r["event_id"] for r in rows], life)
        self.republished += len(rows)
        log.info(
            "telephony inbox: published %d accepted events again into the broker's current life",
            len(rows),
        )
        return len(rows)

    def _mark(
        self, event_ids: Sequence[str], life: str | None, only_life: str | None = None
    ) -> None:
        inbox_store.mark(self.db, event_ids, life, only_life)

    def run(self, stop: threading.Event, every: float = 1.0) -> None:
        """Re-publishes until stopped, backing off while the broker or the database is away."""
        backoff = 0.2
        while not stop.is_set():
            try:
                published = self.step() if self.available() else 0
                backoff = 0.2
            except Exception as error:  # noqa: BLE001 - the re-publisher must outlive any outage
                log.warning("telephony inbox: %s; retrying in %.1fs", error, backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if published < self.batch_size:
                stop.wait(every)
        self.close()

    def close(self) -> None:
        self.route_publisher.close()
        self.republisher.close()
        self.life.close()
