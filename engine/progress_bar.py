"""Progress bars for the CLI's long commands: tqdm on stderr, only when stderr is a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Any, Self, TextIO, TypeVar

from tqdm import tqdm

T = TypeVar("T")


class ProgressBars:
    """One bar per label, fed as `progress(label, done, total)` (the engine's Progress callable).

    Off when the stream is not a terminal: a log file or a pipe gets no `\\r` updates.
    """

    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = _is_terminal(self.stream) if enabled is None else enabled
        self.bars: dict[str, Any] = {}

    def __call__(self, label: str, done: int, total: int) -> None:
        bar = self._bar(label, total)
        if total and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    def iterate(self, label: str, items: Iterable[T], total: int | None = None) -> Iterator[T]:
        """Yields the items, counting each on the label's bar."""
        bar = self._bar(label, total or 0)
        for item in items:
            yield item
            bar.update(1)

    def note(self, text: str) -> None:
        """A line of text on the stream, above any bar drawn there."""
        if self.enabled:
            tqdm.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def _bar(self, label: str, total: int) -> Any:
        if label not in self.bars:
            self.bars[label] = tqdm(
                desc=label,
                total=total or None,
                file=self.stream,
                disable=not self.enabled,
                unit=" items",
                dynamic_ncols=True,
                leave=True,
            )
        return self.bars[label]

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
        self.bars.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or odd stream: no bar
        return False
