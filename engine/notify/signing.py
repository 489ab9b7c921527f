"""Webhook signatures: HMAC-SHA256 over the timestamp, a dot and the body, and each
subscription's secret, derived from the server's secret so that none is stored."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Perfledger-Signature"
TIMESTAMP_HEADER = "X-Perfledger-Timestamp"
DELIVERY_HEADER = "X-Perfledger-Delivery"
EVENT_HEADER = "X-Perfledger-Event"


def subscription_secret(server_secret: str, subscription_id: str, generation: int) -> str:
    """The subscription's signing secret; rotating it moves to the next generation."""
    message = f"perfledger-webhook:{subscription_id}:{generation}".encode()
    return hmac.new(server_secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: 'sha256=' and the hex HMAC of `timestamp.body`."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    if not timestamp.isdigit():
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)
