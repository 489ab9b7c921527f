"""Run a worker's pass every few seconds until stopped; a failed pass is retried on the next."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


def every(stop: threading.Event, seconds: float, step: Callable[[], object], label: str) -> None:
    """Calls `step` every `seconds` until `stop` is set, logging (never raising) its failures."""
    while not stop.wait(seconds):
        try:
            step()
        except Exception as error:  # noqa: BLE001 - a worker must outlive a failed pass
            log.warning("%s: %s", label, error)
