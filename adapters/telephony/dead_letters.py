"""Dead letters of telephony input: always small enough to publish, never without their evidence.

A dead letter that cannot be published stops the ingestor for good (it retries the poll
forever), so its size is bounded whatever came in: the payload is cut to 64 KiB and the
key to 1 KiB, and the headers keep what an operator needs to find and prove the original:
the reason, the source (`topic:partition:offset`, or `http:<index>` for an element of an
HTTP batch), the original size and the SHA-256 digest of the original payload.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

MAX_PAYLOAD_BYTES = 64 * 1024
MAX_KEY_BYTES = 1024
MAX_REASON_BYTES = 4096
# Marks a message that the HTTP route has already answered "accepted": the ingestor keeps
# that promise (adapters/telephony/ingestor.py) instead of judging its arrival order again.
ACCEPTED_HEADER = "perfledger-accepted"

DeadLetter = tuple[bytes, bytes, list[tuple[str, bytes]]]


def dead_letter(
    key: bytes | None,
    value: bytes | None,
    reason: str,
    source: str,
    extra: Sequence[tuple[str, str]] = (),
) -> DeadLetter:
    """The dead-letter message for one refused input, bounded in size."""
    payload, key = value or b"", key or b""
    headers = [
        ("reason", _cut(reason.encode(), MAX_REASON_BYTES)),
        ("source", _cut(source.encode(), MAX_REASON_BYTES)),
        ("original-size", str(len(payload)).encode()),
        ("original-sha256", hashlib.sha256(payload).hexdigest().encode()),
    ]
    if len(payload) > MAX_PAYLOAD_BYTES or len(key) > MAX_KEY_BYTES:
        headers.append(("truncated", b"true"))
    headers += [(name, text.encode()) for name, text in extra]
    return key[:MAX_KEY_BYTES], payload[:MAX_PAYLOAD_BYTES], headers


def record_letter(record: Any, reason: str, extra: Sequence[tuple[str, str]] = ()) -> DeadLetter:
    """The dead letter of a Kafka record."""
    return dead_letter(
        record.key,
        record.value,
        reason,
        f"{record.topic}:{record.partition}:{record.offset}",
        extra,
    )


def digest(payload: bytes) -> str:
    """SHA-256 of a payload, as the dead letters' headers spell it."""
    return hashlib.sha256(payload).hexdigest()


def _cut(text: bytes, limit: int) -> bytes:
    return text[:limit].decode("utf-8", "ignore").encode()
