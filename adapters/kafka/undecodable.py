"""Batches the consumer cannot turn into records: where they are, so the loop can set them aside.

kafka-python decodes a fetched record batch (decompresses it, checks it, splits it into
records) inside `poll()`. When that fails — a codec whose library is missing, a corrupt
or truncated batch — `poll()` raises, and raises again at the same offset after every
reconnect: without help the consumer would retry that batch forever and count nothing
after it. The exception names neither the partition nor the offsets, but it was raised
in the fetcher's record unpacking, whose frame holds the partition being read and the
batch being decoded (its header, with its offset range, is readable without decoding
its body). `locate` reads them from the traceback.

This leans on kafka-python's internals (checked against 3.0.x, pinned in constraints.txt);
tests/integration/test_undecodable_batches.py fails if a new version moves them, and
`locate` then answers None, which leaves the old behaviour (retry with backoff).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aggregates.faults import REASON_LIMIT, safe_text

# The generator in kafka/consumer/fetcher.py that decodes fetched batches into records.
_UNPACKING_FRAME = "_unpack_records"


@dataclass(frozen=True)
class Span:
    """Offsets `first`..`last` (inclusive) of one partition that could not be decoded."""

    topic: str
    partition: int
    first: int
    last: int
    timestamp: int | None = None  # the batch's newest timestamp (ms), when its header says

    @property
    def count(self) -> int:
        """How many offsets the span covers: the messages the producer put in the batch."""
        return self.last - self.first + 1

    @property
    def source(self) -> str:
        """`topic:partition:first-last`, as dead letters and parked entries name it."""
        return f"{self.topic}:{self.partition}:{self.first}-{self.last}"


def locate(error: BaseException) -> Span | None:
    """The batch whose decoding raised `error` inside `poll()`;
    None when it was no decoding fault."""
    if isinstance(error, MemoryError):
        return None  # a full process is not a fault of the data
    frame = _unpacking_locals(error.__traceback__)
    if frame is None:
        return None
    records, batch = frame.get("self"), frame.get("batch")
    tp = getattr(records, "topic_partition", None)
    position = getattr(records, "next_fetch_offset", None)
    if tp is None or not isinstance(position, int):
        return None
    last = getattr(batch, "last_offset", None)
    base = getattr(batch, "base_offset", None)
    if isinstance(last, int) and isinstance(base, int) and position <= last:
        # The batch being decoded failed: everything of it not yet returned is lost.
        stamp = getattr(batch, "max_timestamp", None)
        return Span(
            tp.topic,
            tp.partition,
            max(base, position),
            last,
            stamp if isinstance(stamp, int) else None,
        )
    # The bytes after the last good batch do not even parse as a batch header: their extent
    # is unknown, so one offset is set aside at a time until the partition reads again.
    return Span(tp.topic, tp.partition, position, position)


def why(error: BaseException) -> str:
    """The reason recorded for an undecodable batch
    (kafka-python's errors already name their class)."""
    text, name = str(error), type(error).__name__
    return safe_text(
        f"batch could not be decoded: {text if text.startswith(name) else f'{name}: {text}'}",
        REASON_LIMIT,
    )


def _unpacking_locals(traceback: TracebackType | None) -> dict[str, Any] | None:
    found = None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_name == _UNPACKING_FRAME:
            found = traceback.tb_frame.f_locals
        traceback = traceback.tb_next
    return found
