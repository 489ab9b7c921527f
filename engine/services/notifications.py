"""Notification subscriptions in the caller's scope, and the admin's view of their deliveries."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from aggregates.subscription import Subscription
from engine.application import PerfLedger
from engine.notify.matching import (
    check_channel,
    check_email,
    check_kinds,
    check_scope,
    check_url,
)
from engine.notify.signing import subscription_secret
from engine.ports import Deliveries, Roster
from engine.scope import Forbidden, require_role
from engine.tokens import Principal

STATUSES = ("pending", "sent", "dead")


@dataclass(frozen=True)
class SubscriptionSpec:
    """What a subscriber asks for (validated by the service)."""

    scope: str
    scope_id: str
    kinds: list[str]
    url: str | None = None
    email: str | None = None


def state(sub: Subscription) -> dict[str, Any]:
    """What the delivery component keeps of a subscription."""
    return {
        "id": str(sub.id),
        "scope": sub.scope,
        "scope_id": sub.scope_id,
        "kinds": list(sub.kinds),
        "url": sub.url,
        "email": sub.email,
        "generation": sub.generation,
        "active": sub.active,
        "version": sub.version,
        "since": sub.created_on.isoformat(),
    }


def view(sub: Subscription) -> dict[str, Any]:
    """A subscription as the API shows it (never its secret)."""
    return {
        "id": str(sub.id),
        "scope": sub.scope,
        "scope_id": sub.scope_id,
        "kinds": list(sub.kinds),
        "url": sub.url,
        "email": sub.email,
        "owner": sub.owner,
        "active": sub.active,
        "secret_generation": sub.generation,
        "version": sub.version,
    }


class NotificationService:
    """Subscribes, changes, rotates secrets, removes; lists and replays deliveries (admin)."""

    def __init__(
        self,
        app: PerfLedger,
        deliveries: Deliveries,
        roster: Roster,
        server_secret: str,
        allow_plain_http: bool,
    ) -> None:
        self.app = app
        self.deliveries = deliveries
        self.roster = roster
        self.server_secret = server_secret
        self.allow_plain_http = allow_plain_http

    # --- scope --------------------------------------------------------------------------

    def check_may_subscribe(self, who: Principal, scope: str, scope_id: str) -> None:
        """Admins any team or site; managers their teams; directors their sites and the
        teams in them (a director of no named site: the whole centre)."""
        if who.role == "admin":
            return
        managed = who.teams + self.roster.managed_teams(who.subject)
        if who.role == "manager" and scope == "team" and scope_id in managed:
            return
        person = self.roster.person(who.subject) if who.role == "director" else None
        if person is not None and person.role == "director":
            site = scope_id if scope == "site" else self._site_of(scope_id)
            if not person.sites or site in person.sites:
                return
        raise Forbidden(f"role {who.role} may not subscribe to {scope} {scope_id}")

    def _site_of(self, team_id: str) -> str | None:
        team = self.roster.team(team_id)
        return team.site_id if team is not None else None

    def _owned(self, who: Principal, subscription_id: UUID, version: int | None) -> Subscription:
        sub = self.app.load(
            Subscription,
            subscription_id,
            version,
            check=lambda s: self.check_may_subscribe(who, s.scope, s.scope_id),
        )
        return sub

    # --- commands -----------------------------------------------------------------------

    def _checked(self, spec: SubscriptionSpec) -> SubscriptionSpec:
        check_scope(spec.scope, spec.scope_id)
        kinds = list(check_kinds(spec.kinds))
        url = None if spec.url is None else check_url(spec.url, self.allow_plain_http)
        email = None if spec.email is None else check_email(spec.email)
        check_channel(url, email)
        return SubscriptionSpec(spec.scope, spec.scope_id.strip(), kinds, url, email)

    def subscribe(self, who: Principal, spec: SubscriptionSpec) -> dict[str, Any]:
        """Creates a subscription; the answer carries its signing secret."""
        spec = self._checked(spec)
        self.check_may_subscribe(who, spec.scope, spec.scope_id)
        sub = Subscription(
            scope=spec.scope,
            scope_id=spec.scope_id,
            kinds=spec.kinds,
            url=spec.url,
            email=spec.email,
            actor=who.actor,
        )
        self.app.save_new(sub)
        self.deliveries.record_subscription(state(sub))
        return {**view(sub), "secret": self.secret_of(sub)}

    def change(
        self, who: Principal, subscription_id: UUID, spec: SubscriptionSpec, version: int | None
    ) -> dict[str, Any]:
        """Replaces the kinds and channels of a subscription (its scope stays)."""
        sub = self._owned(who, subscription_id, version)
        spec = self._checked(SubscriptionSpec(sub.scope, sub.scope_id, *_rest(spec)))
        sub.change(kinds=spec.kinds, url=spec.url, email=spec.email, actor=who.actor)
        self.app.save_changes(sub)
        self.deliveries.record_subscription(state(sub))
        return view(sub)

    def rotate_secret(
        self, who: Principal, subscription_id: UUID, version: int | None
    ) -> dict[str, Any]:
        """Moves to a new signing secret and answers it."""
        sub = self._owned(who, subscription_id, version)
        sub.rotate_secret(actor=who.actor)
        self.app.save_changes(sub)
        self.deliveries.record_subscription(state(sub))
        return {**view(sub), "secret": self.secret_of(sub)}

    def remove(self, who: Principal, subscription_id: UUID, version: int | None) -> dict[str, Any]:
        """Stops a subscription; what is queued still goes."""
        sub = self._owned(who, subscription_id, version)
        sub.remove(actor=who.actor)
        self.app.save_changes(sub)
        self.deliveries.record_subscription(state(sub))
        return view(sub)

    def get(self, who: Principal, subscription_id: UUID) -> dict[str, Any]:
        """One subscription in the caller's scope."""
        return view(self._owned(who, subscription_id, None))

    def secret_of(self, sub: Subscription) -> str:
        return subscription_secret(self.server_secret, str(sub.id), sub.generation)

    # --- reads --------------------------------------------------------------------------

    def listing(self, who: Principal) -> list[dict[str, Any]]:
        """The subscriptions the caller may manage, as the delivery component applied them."""
        require_role(who, "admin", "manager", "director")
        found = []
        for sub in self.deliveries.subscriptions():
            try:
                self.check_may_subscribe(who, sub["scope"], sub["scope_id"])
            except Forbidden:
                continue
            found.append(sub)
        return found

    def deliveries_of(
        self, who: Principal, subscription_id: UUID, status: str | None, limit: int
    ) -> list[dict[str, Any]]:
        """A subscription's deliveries, oldest first (admins)."""
        require_role(who, "admin")
        return [d.public() for d in self.deliveries.listing(str(subscription_id), status, limit)]

    def queue_counts(self) -> dict[str, int]:
        """Deliveries by status (pending, sent, dead), for /metrics."""
        return self.deliveries.counts()

    def replay(self, who: Principal, subscription_id: UUID, delivery_id: str | None) -> int:
        """Queues dead letters again with a fresh budget of attempts (admins)."""
        require_role(who, "admin")
        return self.deliveries.replay(str(subscription_id), delivery_id, time.time())


def _rest(spec: SubscriptionSpec) -> tuple[list[str], str | None, str | None]:
    return spec.kinds, spec.url, spec.email
