"""Progress lines for long work, on stderr, at most a few times a second."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressLine:
    """Prints `label: done/total (rate/s)` in place; a final newline on close."""

    def __init__(self, stream: TextIO | None = None, every: float = 0.5) -> None:
        self.stream = stream or sys.stderr
        self.every = every
        self.started = time.monotonic()
        self.shown = 0.0
        self.last = ""

    def __call__(self, label: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.shown < self.every and done < total:
            return
        self.shown = now
        rate = done / max(now - self.started, 1e-9)
        share = f" {100 * done / total:5.1f}%" if total else ""
        self.last = f"\r{label}: {done}/{total}{share} ({rate:,.0f}/s)"
        print(self.last, end="", file=self.stream, flush=True)

    def close(self) -> None:
        if self.last:
            print(file=self.stream, flush=True)
