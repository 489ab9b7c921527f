"""When a failed delivery is tried again: capped exponential backoff with full jitter."""

from __future__ import annotations

import random
from collections.abc import Callable


def backoff_ceiling(attempt: int, base: float, cap: float) -> float:
    """The longest wait after the `attempt`-th failure (1-based): base doubled, capped."""
    return float(min(cap, base * 2 ** max(attempt - 1, 0)))


def next_delay(
    attempt: int, base: float, cap: float, draw: Callable[[], float] = random.random
) -> float:
    """The wait before the next try: uniformly between half the ceiling and the ceiling, so
    receivers recovering from an outage are not hit by every sender at once."""
    ceiling = backoff_ceiling(attempt, base, cap)
    return ceiling / 2 + draw() * ceiling / 2
