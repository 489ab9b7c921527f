"""Data faults versus infrastructure faults: the pipeline-wide rule for what is retried.

A data fault belongs to one message or event: applying it again gives the same error,
so it is isolated and parked (or dead-lettered) with its reason and the pipeline moves
on. Everything else is an infrastructure fault (a lost connection, a locked or
unavailable database, a broker error): retried with backoff, counted, and reported to
/readyz once it has lasted too long. Unknown errors count as infrastructure, so a bug
raises an alarm instead of quietly parking every event.

It lives beside the event contract because the relay (engine/), the parking of events
(projections/) and the consumers (adapters/) all apply it; standard library only, so the
database driver's errors are recognised once the driver is loaded (an error of a driver
that was never imported cannot occur).
"""

from __future__ import annotations

import hashlib
import sqlite3
import sys

DATA_FAULTS: tuple[type[BaseException], ...] = (
    ValueError,  # includes pydantic's ValidationError, UnicodeError, JSON errors
    TypeError,
    KeyError,
    IndexError,
    ArithmeticError,  # OverflowError: "Python int too large to convert to SQLite INTEGER"
    sqlite3.IntegrityError,
    sqlite3.DataError,
)
# psycopg's DataError (e.g. "PostgreSQL text fields cannot contain NUL (0x00) bytes") and
# IntegrityError, with their subclasses (NumericValueOutOfRange, UniqueViolation, ...).
DRIVER_FAULT_NAMES = ("DataError", "IntegrityError")
# Broker errors that belong to the message, not to the broker (kafka-python names).
MESSAGE_FAULT_NAMES = frozenset({"MessageSizeTooLargeError", "RecordTooLargeError"})
REASON_LIMIT = 1000


def is_data_fault(error: BaseException) -> bool:
    """True when the error belongs to the data being applied, so retrying cannot help."""
    return (
        isinstance(error, DATA_FAULTS + _driver_faults())
        or type(error).__name__ in MESSAGE_FAULT_NAMES
    )


def _driver_faults() -> tuple[type[BaseException], ...]:
    driver = sys.modules.get("psycopg")
    return tuple(getattr(driver, name) for name in DRIVER_FAULT_NAMES) if driver is not None else ()


def reason_of(error: BaseException) -> str:
    """A short, storable description of an error: its class and message, no NUL, bounded."""
    return safe_text(f"{type(error).__name__}: {error}", REASON_LIMIT)


def safe_text(text: str, limit: int) -> str:
    """Text any store accepts: NUL and other control characters escaped, cut to `limit`."""
    cleaned = "".join(c if c >= " " or c in "\t\n" else f"\\x{ord(c):02x}" for c in text)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def digest(payload: bytes | None) -> str:
    """The SHA-256 of a message's bytes: it identifies a parked payload without storing it."""
    return hashlib.sha256(payload or b"").hexdigest()
