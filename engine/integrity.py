"""The hash rules of tamper evidence: byte digests, per-aggregate hashes, the keyed global chain.

Pure functions, shared by whoever seals (adapters/sql/sealer.py, the ingestor) and by
whoever verifies (adapters/sql/verify.py), so that the two can never disagree.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

GENESIS = "0" * 64


def digest(*parts: str | bytes) -> str:
    """SHA-256 over the parts, each length-prefixed so that no two part lists collide."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else bytes(part)
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def link(key: bytes, prev: str, fields: Sequence[str | int]) -> str:
    """The next value of a keyed chain: HMAC-SHA256 over the previous value and the fields.

    Without the key nobody can recompute the chain after altering, removing or
    reordering a sealed row, so a rewritten store cannot be made to verify again.
    """
    message = "\x1f".join([prev, *(str(f) for f in fields)]).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def archive_digest(row: dict[str, object]) -> str:
    """The digest of one telephony archive row: every column, the original bytes included."""
    return digest(*(str(row[c]) for c in ARCHIVE_COLUMNS))


ARCHIVE_COLUMNS = (
    "event_id",
    "seq",
    "type",
    "agent_id",
    "team_id",
    "occurred_at",
    "recorded_at",
    "payload",
)


def seal_key(secret: str) -> bytes:
    """The chain key, derived from the signing secret so a token key is never used raw."""
    return hmac.new(secret.encode(), b"perfledger seal v1", hashlib.sha256).digest()


def snapshot_seal(key: bytes, originator_id: str, version: int, topic: str, state: bytes) -> str:
    """A snapshot's seal: keyed over its aggregate, version and stored bytes.

    Keyed, so that whoever edits a snapshot row cannot write a seal that matches it.
    """
    return link(key, "snapshot", (originator_id, version, digest(topic, state)))
