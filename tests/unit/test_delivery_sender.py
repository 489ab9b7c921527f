"""The delivery sender without I/O: outcomes of attempts, the dead-letter threshold, and a
database fault reported to the health board while the sender keeps retrying."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any, cast

from pydantic import SecretStr

from adapters.notify.sender import DeliveryFailed, DeliverySender
from adapters.notify.worker import SENDER, DeliveryComponent
from adapters.sql.notify_store import Delivery, SqlDeliveries
from engine.health import HealthBoard
from engine.notify.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, subscription_secret, verify
from engine.settings import Settings
from tests.support import SECRET


class Queue:
    """The sender's side of the queue, in memory."""

    def __init__(self, *due: Delivery) -> None:
        self.items = list(due)
        self.outcomes: list[tuple[str, str | None, float | None]] = []

    def due(self, now: float, limit: int) -> list[Delivery]:
        return self.items[:limit]

    def sent(self, delivery_id: str, now: float) -> None:
        self.outcomes.append((delivery_id, None, None))

    def failed(self, delivery_id: str, error: str, retry_at: float | None) -> None:
        self.outcomes.append((delivery_id, error, retry_at))


def delivery(attempts: int = 0) -> Delivery:
    return Delivery(
        "d1",
        "s1",
        "e:1",
        "alert.raised",
        "webhook",
        '{"a":1}',
        "pending",
        attempts,
        0.0,
        None,
        0.0,
        None,
    )


def settings(tmp_path: Path, **values: Any) -> Settings:
    return Settings(data_dir=tmp_path, secret=SecretStr(SECRET), **values)


def sender(tmp_path: Path, queue: Queue, post: Any, **values: Any) -> DeliverySender:
    target = {"url": "https://x.test/h", "email": None, "generation": 3}
    return DeliverySender(
        cast(SqlDeliveries, queue),
        lambda _: target,
        settings(tmp_path, delivery_backoff_seconds=1.0, **values),
        post=post,
        clock=lambda: 1000.0,
    )


def test_a_2xx_marks_the_delivery_sent_with_a_signature_the_receiver_verifies(
    tmp_path: Path,
) -> None:
    seen: list[dict[str, str]] = []

    def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        seen.append(headers)
        return 204

    queue = Queue(delivery())
    assert sender(tmp_path, queue, post).round() == 1
    assert queue.outcomes == [("d1", None, None)]
    secret = subscription_secret(SECRET, "s1", 3)
    assert verify(secret, seen[0][TIMESTAMP_HEADER], b'{"a":1}', seen[0][SIGNATURE_HEADER])


def test_a_failure_is_retried_later_and_the_last_allowed_one_is_a_dead_letter(
    tmp_path: Path,
) -> None:
    def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        raise DeliveryFailed("connection refused")

    queue = Queue(delivery(attempts=0))
    sender(tmp_path, queue, post, delivery_max_attempts=3).round()
    ((_, error, retry_at),) = queue.outcomes
    assert error == "connection refused" and retry_at is not None and 1000.5 <= retry_at <= 1001
    queue = Queue(delivery(attempts=2))
    sender(tmp_path, queue, lambda *_: 500, delivery_max_attempts=3).round()
    assert queue.outcomes == [("d1", "the receiver answered 500", None)]


class BrokenSender:
    def __init__(self, stop: threading.Event, failures: int) -> None:
        self.stop, self.failures, self.rounds = stop, failures, 0

    def round(self) -> int:
        self.rounds += 1
        if self.rounds <= self.failures:
            raise sqlite3.OperationalError("database is locked")
        self.stop.set()
        return 0


def test_a_database_fault_of_the_sender_is_retried_and_shown_on_the_health_board(
    tmp_path: Path,
) -> None:
    stop, board = threading.Event(), HealthBoard()
    broken = BrokenSender(stop, failures=2)
    component = DeliveryComponent(
        cast(Any, None),
        cast(Any, broken),
        cast(Any, type("NoOverdue", (), {"run_once": lambda self: 0})()),
        settings(tmp_path, retry_backoff_max_seconds=0.01),
        board,
    )
    failures: list[str] = []
    original = board.failed

    def failed(key: str, position: str, reason: str) -> Any:
        failures.append(f"{position}: {reason}")
        return original(key, position, reason)

    board.failed = failed  # type: ignore[method-assign]
    component.send_until(stop)
    assert broken.rounds == 3
    assert failures == ["send: OperationalError: database is locked"] * 2
    (entry,) = [e for e in board.entries() if e.component == SENDER]
    assert entry.retries == 2 and entry.since is None  # recovered after the third round
