"""A notification subscription: a team's or a site's events of some kinds, sent to a webhook
and/or an e-mail address. Every change is an event, so the audit trail says who subscribed whom
to what and when (the secret itself is never in an event: only its generation)."""

from __future__ import annotations

from eventsourcing.domain import Aggregate, event

from aggregates.errors import RuleViolation
from aggregates.ids import new_id


class Subscription(Aggregate):
    """Who is told about which events of a team or a site, and where."""

    # Random, or derived from an Idempotency-Key so that a retried create is stored once.
    create_id = staticmethod(new_id)

    @event("Created")
    def __init__(
        self,
        *,
        scope: str,
        scope_id: str,
        kinds: list[str],
        url: str | None,
        email: str | None,
        actor: str,
    ) -> None:
        self.scope = scope
        self.scope_id = scope_id
        self.kinds = list(kinds)
        self.url = url
        self.email = email
        self.owner = actor
        self.generation = 1
        self.active = True

    def change(self, *, kinds: list[str], url: str | None, email: str | None, actor: str) -> None:
        """Replaces what the subscription names (scope and secret stay)."""
        self.check_active("change")
        self._changed(kinds=list(kinds), url=url, email=email, actor=actor)

    @event("Changed")
    def _changed(self, kinds: list[str], url: str | None, email: str | None, actor: str) -> None:
        self.kinds, self.url, self.email = kinds, url, email

    def rotate_secret(self, *, actor: str) -> None:
        """Moves to the next secret: receivers must take the new one."""
        self.check_active("rotate the secret of")
        self._secret_rotated(generation=self.generation + 1, actor=actor)

    @event("SecretRotated")
    def _secret_rotated(self, generation: int, actor: str) -> None:
        self.generation = generation

    def remove(self, *, actor: str) -> None:
        """Stops every further notification; what is queued still goes."""
        self.check_active("remove")
        self._removed(actor=actor)

    @event("Removed")
    def _removed(self, actor: str) -> None:
        self.active = False

    def check_active(self, doing: str) -> None:
        if not self.active:
            raise RuleViolation(
                f"cannot {doing} a removed subscription", subscription_id=str(self.id)
            )
