"""The one error of telephony validation."""

from __future__ import annotations


class InvalidTelephonyEvent(ValueError):
    """A telephony message that must be dead-lettered; `reason` names the field and problem."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
