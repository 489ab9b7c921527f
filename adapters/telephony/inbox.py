"""The durable acknowledgement of HTTP telephony batches: the inbox and its re-publisher.

POST /v1/telephony/events answers 202 only once the events it accepted are rows of
`telephony_inbox`, written in one transaction with the route's counters. The route then
publishes them and each row keeps the broker life it was published into (read before the
publish, so a row never names a later life than the one that holds it). A row whose life is
not the broker's current one (an embedded broker died with the messages in memory, or the
publish failed) is published again by the re-publisher that runs beside the API, at
start-up and whenever the life changes; rows the archive already holds are pruned. The
ingestor deduplicates by event_id, so publishing again never counts an event twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from adapters.kafka.client import topics_of
from adapters.kafka.life import BrokerLife
from adapters.kafka.publisher import KafkaPublisher
from adapters.sql.database import Database
from adapters.telephony.dead_letters import ACCEPTED_HEADER
from adapters.telephony.ingestor import add_counters
from projections.store import chunks

if TYPE_CHECKING:
    from engine.bootstrap import Container

log = logging.getLogger(__name__)
Accepted = tuple[str, bytes, bytes]  # event_id, key (the agent id), the event's bytes
HEADERS = [(ACCEPTED_HEADER, b"http")]  # the ingestor keeps to what the HTTP answer promised


class TelephonyInbox:
    """Keeps HTTP-accepted telephony events until the archive holds them; publishes them again when needed."""

    def __init__(
        self, db: Database, topic: str, route_publisher: KafkaPublisher, republisher: KafkaPublisher,
        life: BrokerLife, available: Callable[[], bool] = lambda: True, batch_size: int = 5000,
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
        """Records the events (and the counters) durably, then publishes them; raises when they are not durable."""
        life = self._life_hint()
        now = datetime.now(UTC).isoformat()
        with self.db.transaction() as cur:
            cur.executemany(
                "INSERT INTO telephony_inbox (event_id, msg_key, payload, life, accepted_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (event_id) DO NOTHING",
                [(event_id, key.decode(), raw.decode(), life, now) for event_id, key, raw in events],
            )
            add_counters(cur, counters, source="http")
        if life is None or not events:
            return  # the broker is away: the re-publisher sends them when it is back
        try:
            self.route_publisher.publish(self.topic, [(key, raw, HEADERS) for _, key, raw in events])
        except Exception as error:  # noqa: BLE001 - durable already; the re-publisher retries
            log.warning("telephony inbox: publishing %d accepted events failed (%s); they wait for the "
                        "re-publisher", len(events), error)
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
        if not self.db.query("SELECT event_id FROM telephony_inbox LIMIT 1"):
            return 0
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM telephony_inbox WHERE EXISTS "
                        "(SELECT 1 FROM telephony_archive a WHERE a.event_id = telephony_inbox.event_id)")
        rows = self.db.query(
            "SELECT event_id, msg_key, payload FROM telephony_inbox WHERE life IS NULL OR life <> ? "
            "ORDER BY accepted_at LIMIT ?", (life, self.batch_size))
        if not rows:
            return 0
        self.republisher.publish(self.topic, [(r["msg_key"].encode(), r["payload"].encode(), HEADERS) for r in rows])
        self._mark([r["event_id"] for r in rows], life)
        self.republished += len(rows)
        log.info("telephony inbox: published %d accepted events again into the broker's current life", len(rows))
        return len(rows)

    def _mark(self, event_ids: Sequence[str], life: str | None, only_life: str | None = None) -> None:
        condition = "" if only_life is None else " AND life = ?"
        with self.db.transaction() as cur:
            for part in chunks(event_ids):
                cur.execute(f"UPDATE telephony_inbox SET life = ? WHERE event_id IN ({','.join('?' * len(part))})"
                            f"{condition}", (life, *part, *(() if only_life is None else (only_life,))))

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


def inbox_depth(db: Database) -> int:
    """How many HTTP-accepted events the archive does not hold yet (pruned as it does)."""
    return int(db.query("SELECT COUNT(*) AS n FROM telephony_inbox")[0]["n"])


def inbox_of(container: Container) -> TelephonyInbox:
    """The process's inbox (made on first use); `perfledger up` also runs its re-publisher."""
    found: Any = container.components.get("telephony_inbox")
    if found is None:
        if not container.bootstrap:
            raise RuntimeError("no Kafka bootstrap configured")
        broker = container.components.get("broker")
        found = container.components["telephony_inbox"] = TelephonyInbox(
            container.db, topics_of(container.settings).telephony,
            # The route's publish only delays a 202 for events already durable: it need not wait long.
            KafkaPublisher(container.bootstrap, container.settings, timeout=5.0),
            KafkaPublisher(container.bootstrap, container.settings, stop=container.stopping),
            BrokerLife(container.settings, container.bootstrap, container.stopping),
            available=lambda: getattr(broker, "available", True) is not False,
        )
    return found  # type: ignore[no-any-return]
