"""Which subscriptions an event notifies, and what a subscription may name."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from aggregates.errors import InvalidValue
from engine.notify.kinds import KINDS

SCOPES = ("team", "site")
DELIVERY_NAMESPACE = uuid.UUID("0b9d5f0e-6a47-4d8c-9f3e-1f2a6c7e5d11")


class InvalidSubscription(InvalidValue):
    """A subscription that names an unknown kind, a bad URL or no channel (422)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message, field=field)


@dataclass(frozen=True)
class Subscribed:
    """A subscription as the delivery component matches it."""

    subscription_id: str
    scope: str  # "team" or "site"
    scope_id: str
    kinds: tuple[str, ...]
    url: str | None
    email: str | None
    since: str  # when it was created (RFC 3339): older events are not notified


@dataclass(frozen=True)
class Notice:
    """One notification to match: its kind, its source event and the team it concerns."""

    kind: str
    event_key: str  # "<aggregate id>:<version>", or a synthetic key (overdue items)
    team_id: str
    site_id: str | None
    at: str  # when the event happened (RFC 3339)


def delivery_id(subscription_id: str, event_key: str, kind: str, channel: str) -> str:
    """The idempotency key of one delivery: the same subscription, event, kind and channel give
    the same id, however often the event is read."""
    key = f"{subscription_id}|{event_key}|{kind}|{channel}"
    return str(uuid.uuid5(DELIVERY_NAMESPACE, key))


def instant(text: str) -> datetime:
    """An RFC 3339 instant; a naive one is taken as UTC."""
    at = datetime.fromisoformat(text)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def matches(subscription: Subscribed, notice: Notice) -> bool:
    """True when the subscription covers the notice's kind and its team or the team's site."""
    if notice.kind not in subscription.kinds:
        return False
    if instant(notice.at) < instant(subscription.since):
        return False
    if subscription.scope == "team":
        return subscription.scope_id == notice.team_id
    return notice.site_id is not None and subscription.scope_id == notice.site_id


def matching(subscriptions: Iterable[Subscribed], notice: Notice) -> list[Subscribed]:
    """The subscriptions one notice goes to."""
    return [s for s in subscriptions if matches(s, notice)]


def check_kinds(kinds: Sequence[str]) -> tuple[str, ...]:
    """The kinds, deduplicated in order; refuses none or an unknown one."""
    if not kinds:
        raise InvalidSubscription("name at least one kind", "kinds")
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise InvalidSubscription(
            f"unknown kind {unknown[0]!r}; known: {', '.join(KINDS)}", "kinds"
        )
    return tuple(dict.fromkeys(kinds))


def check_scope(scope: str, scope_id: str) -> None:
    """A scope is a team or a site, named by a non-empty id."""
    if scope not in SCOPES:
        raise InvalidSubscription(f"scope must be one of {', '.join(SCOPES)}", "scope")
    if not scope_id.strip():
        raise InvalidSubscription("scope_id must not be empty", "scope_id")


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, allow_plain_http: bool) -> str:
    """A webhook URL: https, or http to loopback only (unless the setting allows any http)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidSubscription("url must be an absolute https URL", "url")
    if parts.username or parts.password:
        raise InvalidSubscription("url must not carry credentials", "url")
    if parts.scheme == "http" and not (allow_plain_http or is_loopback(parts.hostname)):
        raise InvalidSubscription("http is allowed to loopback only; use https", "url")
    if len(url) > 2000:
        raise InvalidSubscription("url longer than 2000 characters", "url")
    return url


def check_email(email: str) -> str:
    """An address with one @ and a dot in its domain (the mail server decides the rest)."""
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in email):
        raise InvalidSubscription("email is not an address", "email")
    return email


def check_channel(url: str | None, email: str | None) -> None:
    """A subscription delivers somewhere: a webhook, an e-mail address, or both."""
    if url is None and email is None:
        raise InvalidSubscription("name a url, an email, or both", "url")
