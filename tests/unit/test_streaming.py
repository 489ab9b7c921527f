"""Paced streaming for `perfledger simulate` and `up --demo`, against a fake publisher."""

from __future__ import annotations

import time
from collections.abc import Sequence

from engine.ports import Message
from engine.streaming import stream_paced


class Recorder:
    def __init__(self) -> None:
        self.batches: list[int] = []

    def publish(self, topic: str, messages: Sequence[Message]) -> None:
        self.batches.append(len(messages))

    def close(self) -> None:
        pass


def messages(n: int) -> list[Message]:
    return [(b"k", str(i).encode()) for i in range(n)]


def test_every_message_is_sent_and_progress_ends_at_the_total() -> None:
    seen: list[int] = []
    sent = stream_paced(
        messages(250), Recorder(), "t", 10_000, 250, lambda _, d, __: seen.append(d)
    )
    assert sent == 250 and seen[-1] == 250


def test_the_burst_goes_out_before_the_pacing_starts() -> None:
    recorder = Recorder()
    started = time.monotonic()
    stream_paced(messages(2500), recorder, "t", 50, 2500, lambda *_: None, burst=2500)
    assert time.monotonic() - started < 1  # paced at 50/s this would take 50 s
    assert recorder.batches == [1000, 1000, 500]


def test_stop_ends_the_stream_early() -> None:
    sent = stream_paced(messages(100), Recorder(), "t", 10, 100, lambda *_: None, stop=lambda: True)
    assert sent == 0
