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

from adapters.kafka.undecodable import Span
from adapters.sql import archive
from adapters.sql.database import Cursor
from adapters.sql.ingest_counts import COUNTER_NAMES, add_deliveries, add_totals
from adapters.sql.kpi_view import KpiView
from adapters.sql.sealer import chain_archive
from adapters.telephony.dead_letters import ACCEPTED_HEADER, DeadLetter, dead_letter, record_letter
from adapters.telephony.poison import is_poison, savepoint
from adapters.telephony.schema import (
    DEFAULT_LIMITS,
    Bounds,
    InvalidTelephonyEvent,
    Limits,
    parse_message,
    to_archive_dict,
    validate,
)
from adapters.telephony.screening import DUPLICATE, REJECTED, screen
from engine.ports import Publisher, Roster

log = logging.getLogger(__name__)
RECEIVED, ACCEPTED_COLUMN, DUPLICATES, DEAD_LETTERED = range(4)  # columns of a Tally


@dataclass
class Parsed:
    """A poll's messages, validated: the events with their original bytes and records,
    and the refused."""

    count: int
    valid: list[dict[str, Any]] = field(default_factory=list)
    raws: list[bytes] = field(default_factory=list)
    invalid: list[tuple[Any, str]] = field(default_factory=list)
    records: list[Any] = field(default_factory=list)  # the source record of each valid event


@dataclass
class Outcome:
    """What one batch came to."""

    accepted: list[dict[str, Any]] = field(default_factory=list)
    duplicates: int = 0
    accepted_at: list[int] = field(default_factory=list)  # indexes in the batch
    duplicate_at: list[int] = field(default_factory=list)
    # (index in batch, reason, further dead-letter headers)
    rejected: list[tuple[int, str, list[tuple[str, str]]]] = field(default_factory=list)


def archive_new(
    cur: Cursor,
    events: Sequence[dict[str, Any]],
    raws: Sequence[bytes],
    seal_key: bytes | None = None,
    promised: Sequence[bool] | None = None,
) -> Outcome:
    """Archives the events that pass screening, with their original bytes;
    says what became of the rest.

    Screening (adapters/telephony/screening.py) takes out duplicates, conflicting re-uses
    of an event_id and surveys/QA scores for another agent's call. With a seal key the new
    rows are chained in the same transaction (tamper evidence); without one the sealer
    chains them later.
    """
    outcome = Outcome()
    # Concurrent ingestors must not both take the same event_id as new.
    archive.lock(cur)
    verdicts = screen(lambda text, params: cur.execute(text, params).rows(), events, raws, promised)
    rows: list[tuple[Any, ...]] = []
    recorded = datetime.now(UTC).isoformat()
    base = time.time_ns() // 1000
    for index, (event, raw, verdict) in enumerate(zip(events, raws, verdicts, strict=True)):
        if verdict.outcome == DUPLICATE:
            outcome.duplicates += 1
            outcome.duplicate_at.append(index)
        elif verdict.outcome == REJECTED:
            outcome.rejected.append((index, verdict.reason, verdict.headers))
        else:
            outcome.accepted.append(event)
            outcome.accepted_at.append(index)
            rows.append(
                (
                    event["event_id"],
                    base + len(rows),
                    event["type"],
                    event["agent_id"],
                    event["team_id"],
                    event["occurred_at"],
                    recorded,
                    bytes(raw).decode(),
                )
            )
    archive.insert(cur, rows)
    if seal_key is not None:
        chain_archive(cur, rows, seal_key)
    return outcome


def archived_ids(
    run: Callable[[str, Sequence[str]], list[dict[str, Any]]], ids: Iterable[str]
) -> set[str]:
    """Which of these event ids the archive already holds
    (`run` executes a query, in or out of a transaction)."""
    return archive.archived_ids(run, list(ids))


def decode_archived(raw: bytes) -> dict[str, Any]:
    """An archived message's original bytes, validated again, as the dict the KPIs count.

    Without the plausibility bounds: an archived event was accepted under the limits in
    force when it arrived, and a rebuild must count it whatever the limits are now.
    """
    return to_archive_dict(parse_message(raw, limits=None))


def add_counters(cur: Cursor, changes: dict[str, int], source: str | None = None) -> None:
    """Adds to the accounting counters; with a source, to that source's counts of today too."""
    add_totals(cur, changes)
    if source is not None:
        add_deliveries(cur, {(_today(), source): [changes.get(name, 0) for name in COUNTER_NAMES]})


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


class Tally:
    """A poll's counts per (day, source): the day its message reached the broker (UTC),
    the door it came by.

    A message the HTTP route accepted (header perfledger-accepted) counts for "http", so the
    route's own count of what it refused and this add up per door; others count for
    "kafka:<topic>". The broker's timestamp gives the day, unless it is implausible
    (more than a day ahead or 30 days back), when the day of ingestion does.
    """

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], list[int]] = {}
        now = int(time.time() * 1000) // DAY_MS
        self._days: dict[int, str] = {}
        self._sources: dict[str, str] = {}
        self._plausible = range(now - 30, now + 2)
        self._today = _today()

    def add(self, records: Iterable[Any], column: int) -> None:
        # Per record: two attribute reads and two dict look-ups
        # (the hot path runs it twice per message).
        counts, days, sources = self.counts, self._days, self._sources
        for record in records:
            stamp = getattr(record, "timestamp", None)
            day = days.get(stamp // DAY_MS if type(stamp) is int else -1) or self._day(stamp)
            headers = getattr(record, "headers", None)
            topic = getattr(record, "topic", "unknown")
            source = (
                "http"
                if headers and _promised(record)
                else sources.get(topic) or self._source(topic)
            )
            found = counts.get((day, source))
            if found is None:
                found = counts[(day, source)] = [0, 0, 0, 0]
            found[column] += 1

    def merge(self, other: Tally) -> None:
        for key, counts in other.counts.items():
            mine = self.counts.setdefault(key, [0, 0, 0, 0])
            for column, amount in enumerate(counts):
                mine[column] += amount

    def _day(self, stamp: Any) -> str:
        index = stamp // DAY_MS if type(stamp) is int else -1
        day = self._days[index] = (
            datetime.fromtimestamp(index * 86400, UTC).date().isoformat()
            if index in self._plausible
            else self._today
        )
        return day

    def _source(self, topic: str) -> str:
        source = self._sources[topic] = f"kafka:{topic}"
        return source


DAY_MS = 86_400_000


class TelephonyIngestor:
    """Batch handler for the shared consumer loop on telephony.events."""

    def __init__(
        self,
        topic: str,
        dlq_topic: str,
        group: str,
        dead_letters: Publisher,
        seal_key: bytes | None = None,
        limits: Limits = DEFAULT_LIMITS,
        roster: Roster | None = None,
    ) -> None:
        self.group = group
        # The live KPI tables: the ingestor counts what it archives, in the same transaction,
        # for each agent's team in the roster (telephony's team for agents the roster lacks).
        self.kpi = KpiView(roster=roster)
        self.seal_key = seal_key
        self.limits = limits
        self.topics: tuple[str, ...] = (topic,)
        self.dlq_topic = dlq_topic
        self.dead_letters = dead_letters
        self.counts = dict.fromkeys(COUNTER_NAMES, 0)

    def prepare(self, records: Sequence[Any]) -> Parsed:
        """Validates a poll's messages; runs before the write transaction, so it holds no lock."""
        parsed = Parsed(count=len(records))
        # The roster is read here, before the transaction, and only when its version moved. (A
        # poll bisected around a poison message prepares its parts inside the transaction; the
        # roster rarely moves just then, and if it does the poll is retried.)
        self.kpi.refresh()
        bounds = Bounds(self.limits, datetime.now(UTC))
        for record in records:
            raw = record.value or b""  # a tombstone (null value) is invalid input like any other
            try:
                parsed.valid.append(validate(raw, bounds))
                parsed.raws.append(raw)
                parsed.records.append(record)
            except InvalidTelephonyEvent as error:
                parsed.invalid.append((record, error.reason))
            except Exception as error:
                log.exception(
                    "message at %s:%s could not be validated", record.partition, record.offset
                )
                parsed.invalid.append(
                    (record, f"message: could not be validated ({type(error).__name__})")
                )
        return parsed

    def apply(self, cur: Cursor, records: Sequence[Any] | Parsed) -> bool:
        """Archives, counts and dead-letters one poll inside the caller's transaction."""
        parsed = records if isinstance(records, Parsed) else self.prepare(records)
        letters = [record_letter(record, reason) for record, reason in parsed.invalid]
        tally = Tally()
        tally.add((record for record, _ in parsed.invalid), RECEIVED)
        tally.add((record for record, _ in parsed.invalid), DEAD_LETTERED)
        tally.add(parsed.records, RECEIVED)
        try:
            with savepoint(cur):
                step = (
                    Tally()
                )  # discarded with the savepoint if the poll is applied again one by one
                accepted, duplicates = self._store(
                    cur, parsed.valid, parsed.raws, parsed.records, letters, step
                )
        except Exception as error:
            if not is_poison(error):
                raise  # the database is away: the consumer loop retries the whole poll
            log.warning(
                "%s: a poll could not be applied (%s); applying its events one by one",
                self.group,
                error,
            )
            step = Tally()
            accepted, duplicates = self._one_by_one(cur, parsed, letters, step)
        changes = {
            "received": parsed.count,
            "accepted": accepted,
            "duplicates": duplicates,
            "dead_lettered": len(letters),
        }
        add_counters(cur, changes)
        tally.merge(step)
        add_deliveries(cur, tally.counts)
        if letters:
            self.dead_letters.publish(self.dlq_topic, letters)
        for name, amount in changes.items():
            self.counts[name] += amount
        return False

    def undecodable(self, cur: Cursor, span: Span, reason: str) -> None:
        """Dead-letters a range of offsets whose batch could not be decoded: one letter,
        every offset counted.

        Each offset of the range was a message the sender sent, so each counts as received
        and dead-lettered (received = accepted + duplicates + dead-lettered still holds).
        The letter has no payload (none could be read); its `source` names the range.
        """
        letter = dead_letter(
            None,
            None,
            reason,
            span.source,
            [
                ("first-offset", str(span.first)),
                ("last-offset", str(span.last)),
                ("messages", str(span.count)),
            ],
        )
        tally = Tally()
        tally.add([_Unread(span.topic, span.timestamp)], RECEIVED)
        for counts in tally.counts.values():  # the one (day, source) of the batch
            counts[RECEIVED] = counts[DEAD_LETTERED] = span.count
        changes = {"received": span.count, "dead_lettered": span.count}
        add_counters(cur, changes)
        add_deliveries(cur, tally.counts)
        self.dead_letters.publish(self.dlq_topic, [letter])
        for name, amount in changes.items():
            self.counts[name] += amount

    def _store(
        self,
        cur: Cursor,
        events: Sequence[dict[str, Any]],
        raws: Sequence[bytes],
        sources: Sequence[Any],
        letters: list[DeadLetter],
        tally: Tally,
    ) -> tuple[int, int]:
        promised = [_promised(record) for record in sources]
        outcome = archive_new(cur, events, raws, self.seal_key, promised)
        self.kpi.apply_events(cur, outcome.accepted)
        letters += [
            record_letter(sources[index], reason, headers)
            for index, reason, headers in outcome.rejected
        ]
        tally.add((sources[index] for index in outcome.accepted_at), ACCEPTED_COLUMN)
        tally.add((sources[index] for index in outcome.duplicate_at), DUPLICATES)
        tally.add((sources[index] for index, _, _ in outcome.rejected), DEAD_LETTERED)
        return len(outcome.accepted), outcome.duplicates

    def _one_by_one(
        self, cur: Cursor, parsed: Parsed, letters: list[DeadLetter], tally: Tally
    ) -> tuple[int, int]:
        """Applies each event in its own savepoint:
        the ones the database refuses are dead-lettered."""
        accepted = duplicates = 0
        for event, raw, record in zip(parsed.valid, parsed.raws, parsed.records, strict=True):
            mine: list[DeadLetter] = []
            step = Tally()
            try:
                with savepoint(cur):
                    done, again = self._store(cur, [event], [raw], [record], mine, step)
            except Exception as error:
                if not is_poison(error):
                    raise
                mine = [
                    record_letter(record, f"message: could not be applied ({_describe(error)})")
                ]
                done = again = 0
                step = Tally()
                step.add([record], DEAD_LETTERED)
            tally.merge(step)
            accepted, duplicates = accepted + done, duplicates + again
            letters += mine
        return accepted, duplicates


@dataclass(frozen=True)
class _Unread:
    """What the tally needs of a message that could not be read:
    its topic and its batch's timestamp."""

    topic: str
    timestamp: int | None
    headers: None = None


def _promised(record: Any) -> bool:
    return any(name == ACCEPTED_HEADER for name, _ in getattr(record, "headers", None) or ())


def _describe(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text[:300]}"
