"""The telephony ingestor: validate, dead-letter, deduplicate, archive, and count into the KPIs.

One poll is one transaction: the archive rows, the KPI sums, the accounting counters and
the Kafka offsets commit together, so a crash at any instant neither loses nor
double-counts. Invalid messages go to the dead-letter topic, with the original bytes and
the reason, before that commit; a crash between the two can repeat a dead letter, never
lose one. Accounting: received = accepted + duplicates + dead-lettered, always.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from adapters.sql.database import Cursor
from adapters.sql.sealer import chain_archive
from adapters.telephony.schema import InvalidTelephonyEvent, parse_message, to_archive_dict
from engine.ports import Publisher
from projections.kpi_store import apply_events
from projections.store import chunks

log = logging.getLogger(__name__)
COUNTER_NAMES = ("received", "accepted", "duplicates", "dead_lettered")


@dataclass
class Parsed:
    """A poll's messages, validated: the events with their original bytes, and the refused."""

    count: int
    valid: list[dict[str, Any]] = field(default_factory=list)
    raws: list[bytes] = field(default_factory=list)
    invalid: list[tuple[Any, str]] = field(default_factory=list)


@dataclass
class Outcome:
    """What one batch came to."""

    accepted: list[dict[str, Any]] = field(default_factory=list)
    duplicates: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (index in batch, reason)


def archive_new(
    cur: Cursor, events: Sequence[dict[str, Any]], raws: Sequence[bytes], seal_key: bytes | None = None,
) -> Outcome:
    """Archives the events not seen before (by event_id), with their original bytes; the rest are duplicates.

    With a seal key the new rows are chained in the same transaction (tamper evidence);
    without one the sealer chains them later.
    """
    outcome = Outcome()
    if cur.db.is_postgres:
        # Concurrent ingestors must not both take the same event_id as new.
        cur.execute("LOCK TABLE telephony_archive IN SHARE ROW EXCLUSIVE MODE")
    seen = archived_ids(lambda text, params: cur.execute(text, params).rows(), [e["event_id"] for e in events])
    rows: list[tuple[Any, ...]] = []
    recorded = datetime.now(UTC).isoformat()
    base = time.time_ns() // 1000
    for event, raw in zip(events, raws, strict=True):
        if event["event_id"] in seen:
            outcome.duplicates += 1
            continue
        seen.add(event["event_id"])
        outcome.accepted.append(event)
        rows.append((event["event_id"], base + len(rows), event["type"], event["agent_id"], event["team_id"],
                     event["occurred_at"], recorded, bytes(raw).decode()))
    cur.executemany(
        "INSERT INTO telephony_archive (event_id, seq, type, agent_id, team_id, occurred_at, recorded_at, payload) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    if seal_key is not None:
        chain_archive(cur, rows, seal_key)
    return outcome


def archived_ids(run: Callable[[str, Sequence[str]], list[dict[str, Any]]], ids: Iterable[str]) -> set[str]:
    """Which of these event ids the archive already holds (`run` executes a query, in or out of a transaction)."""
    found: set[str] = set()
    for part in chunks(sorted(set(ids))):
        rows = run(f"SELECT event_id FROM telephony_archive WHERE event_id IN ({','.join('?' * len(part))})", part)
        found.update(row["event_id"] for row in rows)
    return found


def decode_archived(raw: bytes) -> dict[str, Any]:
    """An archived message's original bytes, validated again, as the dict the KPIs count."""
    return to_archive_dict(parse_message(raw))


def add_counters(cur: Cursor, changes: dict[str, int]) -> None:
    cur.executemany(
        "INSERT INTO ingest_counters (name, value) VALUES (?, ?) "
        "ON CONFLICT (name) DO UPDATE SET value = ingest_counters.value + excluded.value",
        [(name, amount) for name, amount in changes.items() if amount],
    )


class TelephonyIngestor:
    """Batch handler for the shared consumer loop on telephony.events."""

    def __init__(
        self, topic: str, dlq_topic: str, group: str, dead_letters: Publisher, seal_key: bytes | None = None,
    ) -> None:
        self.group = group
        self.seal_key = seal_key
        self.topics: tuple[str, ...] = (topic,)
        self.dlq_topic = dlq_topic
        self.dead_letters = dead_letters
        self.counts = dict.fromkeys(COUNTER_NAMES, 0)

    def prepare(self, records: Sequence[Any]) -> Parsed:
        """Validates a poll's messages; runs before the write transaction, so it holds no lock."""
        parsed = Parsed(count=len(records))
        for record in records:
            raw = record.value or b""  # a tombstone (null value) is invalid input like any other
            try:
                parsed.valid.append(to_archive_dict(parse_message(raw)))
                parsed.raws.append(raw)
            except InvalidTelephonyEvent as error:
                parsed.invalid.append((record, error.reason))
            except Exception as error:  # noqa: BLE001 - no message may stop the consumer
                log.exception("message at %s:%s could not be validated", record.partition, record.offset)
                parsed.invalid.append((record, f"message: could not be validated ({type(error).__name__})"))
        return parsed

    def apply(self, cur: Cursor, records: Sequence[Any] | Parsed) -> bool:
        """Archives, counts and dead-letters one poll inside the caller's transaction."""
        parsed = records if isinstance(records, Parsed) else self.prepare(records)
        valid, raws, invalid = parsed.valid, parsed.raws, parsed.invalid
        outcome = archive_new(cur, valid, raws, self.seal_key)
        apply_events(cur, outcome.accepted)
        changes = {"received": parsed.count, "accepted": len(outcome.accepted),
                   "duplicates": outcome.duplicates, "dead_lettered": len(invalid)}
        add_counters(cur, changes)
        if invalid:
            self.dead_letters.publish(self.dlq_topic, [dead_letter(r, reason) for r, reason in invalid])
        for name, amount in changes.items():
            self.counts[name] += amount
        return False


def dead_letter(record: Any, reason: str) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """The dead-letter message: the original key and bytes, the reason and the source in headers."""
    headers = [
        ("reason", reason.encode()),
        ("source", f"{record.topic}:{record.partition}:{record.offset}".encode()),
    ]
    return record.key or b"", record.value or b"", headers
