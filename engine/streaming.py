"""`perfledger simulate`: streams a simulated contact centre to the telephony topic at a set pace."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from engine.ports import Message, Publisher

CHUNK_SECONDS = 0.1


def stream_paced(
    messages: Iterable[Message], publisher: Publisher, topic: str, rate: float, total: int,
    progress: Callable[[str, int, int], None], stop: Callable[[], bool] = lambda: False,
) -> int:
    """Publishes about `rate` messages a second, in small batches; returns how many were sent."""
    per_chunk = max(1, round(rate * CHUNK_SECONDS))
    started = time.monotonic()
    sent = 0
    chunk: list[Message] = []
    for message in messages:
        if stop():
            break
        chunk.append(message)
        if len(chunk) < per_chunk:
            continue
        sent += _send(publisher, topic, chunk)
        progress("simulate", sent, total)
        ahead = sent / rate - (time.monotonic() - started)
        if ahead > 0:
            time.sleep(ahead)
    sent += _send(publisher, topic, chunk)
    progress("simulate", sent, total)
    return sent


def _send(publisher: Publisher, topic: str, chunk: list[Message]) -> int:
    if not chunk:
        return 0
    publisher.publish(topic, chunk)
    count = len(chunk)
    chunk.clear()
    return count
