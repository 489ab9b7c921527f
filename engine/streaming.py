"""`perfledger simulate`: streams a simulated contact centre to the telephony topic at a set
pace."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from itertools import islice

from engine.ports import Message, Publisher

CHUNK_SECONDS = 0.1
BURST_CHUNK = 1000


def stream_paced(
    messages: Iterable[Message],
    publisher: Publisher,
    topic: str,
    rate: float,
    total: int,
    progress: Callable[[str, int, int], None],
    stop: Callable[[], bool] = lambda: False,
    burst: int = 0,
) -> int:
    """Publishes the first `burst` messages at once, then about `rate` a second; returns how many
    were sent."""
    stream = iter(messages)
    sent = 0
    while sent < burst and not stop():
        chunk = list(islice(stream, min(BURST_CHUNK, burst - sent)))
        if not chunk:
            return sent
        sent += _send(publisher, topic, chunk, sent, total, progress)
    per_chunk = max(1, round(rate * CHUNK_SECONDS))
    started, paced = time.monotonic(), 0
    while not stop():
        chunk = list(islice(stream, per_chunk))
        if not chunk:
            break
        sent += _send(publisher, topic, chunk, sent, total, progress)
        paced += len(chunk)
        ahead = paced / rate - (time.monotonic() - started)
        if ahead > 0:
            time.sleep(ahead)
    return sent


def _send(
    publisher: Publisher,
    topic: str,
    chunk: list[Message],
    sent: int,
    total: int,
    progress: Callable[[str, int, int], None],
) -> int:
    publisher.publish(topic, chunk)
    progress("simulate", sent + len(chunk), total)
    return len(chunk)
