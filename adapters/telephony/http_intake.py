"""Telephony events over HTTP: validated here, kept durably,
then onto the same Kafka topic the ingestor reads.

The telephony service (engine/services/telephony.py) hands a batch to `HttpIntake.accept`;
the dead-letter publisher and the inbox are built by the composition root (engine/bootstrap.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from adapters.kafka.client import topics_of
from adapters.sql.database import Database
from adapters.telephony.dead_letters import DeadLetter, dead_letter
from adapters.telephony.schema import Bounds, InvalidTelephonyEvent, Limits, validate
from adapters.telephony.screening import ACCEPTED, DUPLICATE, REJECTED, screen
from engine.ports import Publisher, StreamUnavailable
from engine.settings import Settings

if TYPE_CHECKING:
    from adapters.telephony.inbox import TelephonyInbox


class HttpIntake:
    """Validates and screens a batch as the ingestor would, publishes what passes,
    counts the rest."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        publisher: Publisher | None,
        inbox: Callable[[], TelephonyInbox] | None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.publisher = publisher  # dead letters
        self.inbox = inbox  # the accepted events, durably (adapters/telephony/inbox.py)

    def accept(self, items: list[Any]) -> dict[str, Any]:
        """Per element: accepted, duplicate or rejected;
        raises StreamUnavailable when nothing could be sent."""
        bounds = Bounds(Limits.of(self.settings), datetime.now(UTC))
        answers: list[dict[str, Any]] = []
        valid: list[tuple[int, dict[str, Any], bytes]] = []
        dead: list[DeadLetter] = []
        for index, item in enumerate(items):
            # The bytes published are the bytes validated, by the ingestor's own function.
            raw = json.dumps(item, separators=(",", ":")).encode()
            try:
                valid.append((index, validate(raw, bounds), raw))
                answers.append({})
            except InvalidTelephonyEvent as error:
                answers.append(_answer(index, item, REJECTED, error.reason))
                dead.append(dead_letter(b"", raw, error.reason, f"http:{index}"))
        verdicts = screen(self.db.query, [v[1] for v in valid], [v[2] for v in valid])
        fresh: list[tuple[str, bytes, bytes]] = []  # event_id, key (the agent id), bytes
        for (index, event, raw), verdict in zip(valid, verdicts, strict=True):
            answers[index] = _answer(index, event, verdict.outcome, verdict.reason)
            if verdict.outcome == ACCEPTED:
                fresh.append((str(event["event_id"]), event["agent_id"].encode(), raw))
            elif verdict.outcome == REJECTED:
                dead.append(dead_letter(b"", raw, verdict.reason, f"http:{index}", verdict.headers))
        rejected = [
            {"index": a["index"], "reason": a["reason"]}
            for a in answers
            if a["outcome"] == REJECTED
        ]
        duplicates = sum(1 for a in answers if a["outcome"] == DUPLICATE)
        counters = {
            "received": duplicates + len(rejected),
            "duplicates": duplicates,
            "dead_lettered": len(rejected),
        }
        topics = topics_of(self.settings)
        try:
            if dead:
                self._publisher().publish(topics.telephony_dlq, dead)
            # Durable before acknowledged: the inbox holds the accepted events until the archive
            # does, and publishes them again if a broker loses them (adapters/telephony/inbox.py).
            self._inbox().accept(fresh, counters)
        except Exception as error:  # any broker or store failure: the caller retries later
            raise StreamUnavailable(str(error)) from error
        return {
            "accepted": len(fresh),
            "duplicates": duplicates,
            "rejected": rejected,
            "events": answers,
        }

    def _publisher(self) -> Publisher:
        if self.publisher is None:
            raise RuntimeError("no Kafka bootstrap configured")
        return self.publisher

    def _inbox(self) -> TelephonyInbox:
        if self.inbox is None:
            raise RuntimeError("no Kafka bootstrap configured")
        return self.inbox()

    def close(self) -> None:
        if self.publisher is not None:
            self.publisher.close()


def _answer(index: int, item: Any, outcome: str, reason: str = "") -> dict[str, Any]:
    """What will happen to one element of the batch; the ingestor keeps to it."""
    event_id = item.get("event_id") if isinstance(item, dict) else None
    # An event_id that is not even plausible is not echoed: it may be megabytes long.
    readable = isinstance(event_id, str) and len(event_id) <= 128
    answer: dict[str, Any] = {
        "index": index,
        "event_id": event_id if readable else None,
        "outcome": outcome,
    }
    if reason:
        answer["reason"] = reason
    return answer
