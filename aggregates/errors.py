"""Domain errors: every rule broken in aggregates/ raises one of these."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused a command; carries the ids involved."""

    def __init__(self, message: str, **ids: object) -> None:
        super().__init__(message)
        self.message = message
        self.ids = ids


class InvalidValue(DomainError):
    """A value breaks a domain rule (maps to 422 at the HTTP edge)."""

    def __init__(self, message: str, *, field: str, **ids: object) -> None:
        super().__init__(message, **ids)
        self.field = field


class RuleViolation(DomainError):
    """The command conflicts with the aggregate's current state (409)."""


class NotFound(DomainError):
    """No aggregate with that id exists (404)."""


class VersionConflict(DomainError):
    """The caller's expected version is not the current one (409)."""
