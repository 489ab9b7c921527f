"""The delivery component's consumer: reads perfledger.events in its own group and queues a
delivery for every subscription an event matches, in the transaction that stores the offsets.

A message that is not an event envelope, or an event whose fields are not what the contract
says, is a data fault (a ValueError): the shared loop parks it with its reason and goes on.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from adapters.sql import notify_store as store
from aggregates.contract import EventEnvelope, decode
from engine.notify.kinds import TEAM_FIELD, kinds_of
from engine.notify.matching import Notice, Subscribed, delivery_id, matching

SiteOf = Callable[[str], str | None]
SUBSCRIPTION = "Subscription"


@dataclass(frozen=True)
class Prepared:
    """A batch with the roster as it stood before its transaction (so that catching the roster
    up never writes while the batch's transaction holds the database)."""

    records: Sequence[Any]
    site_of: SiteOf


@dataclass
class MatcherCounts:
    events: int = 0
    queued: int = 0
    without_team: int = 0


def body_of(subscription_id: str, notice: Notice, channel: str, event: dict[str, Any]) -> str:
    """The JSON body a receiver gets (stored once, so every retry sends the same bytes)."""
    return json.dumps(
        {
            "delivery_id": delivery_id(subscription_id, notice.event_key, notice.kind, channel),
            "kind": notice.kind,
            "subscription_id": subscription_id,
            "team_id": notice.team_id,
            "site_id": notice.site_id,
            "occurred_at": notice.at,
            "event": event,
        },
        separators=(",", ":"),
        sort_keys=True,
    )


def queue(
    cur: Any, subscriptions: Sequence[Subscribed], notice: Notice, event: dict[str, Any]
) -> int:
    """Queues the notice for every subscription (and channel) it matches; returns how many
    were new."""
    rows = []
    for sub in matching(subscriptions, notice):
        channels = [c for c, target in (("webhook", sub.url), ("email", sub.email)) if target]
        for channel in channels:
            rows.append(
                (
                    delivery_id(sub.subscription_id, notice.event_key, notice.kind, channel),
                    sub.subscription_id,
                    notice.event_key,
                    notice.kind,
                    channel,
                    body_of(sub.subscription_id, notice, channel, event),
                )
            )
    return store.enqueue(cur, rows, time.time())


class DeliveryMatcher:
    """Batch handler for the shared consumer loop (adapters/kafka/consumer.py)."""

    def __init__(self, topic: str, group: str, sites: Callable[[], SiteOf]) -> None:
        self.group = group
        self.topics: tuple[str, ...] = (topic,)
        self.sites = sites
        self.counts = MatcherCounts()

    def prepare(self, records: Sequence[Any]) -> Prepared:
        """Reads the roster before the transaction."""
        return Prepared(records, self.sites())

    def apply(self, cur: Any, batch: Prepared) -> bool:
        """Applies the batch in the caller's transaction; never asks for a life check."""
        events = [decode(record.value) for record in batch.records]
        self.counts.events += len(events)
        # The batch's subscription changes first: its records are ordered by partition, and a
        # subscription may sit on a later partition than the first event it covers.
        for event in events:
            if event.kind == SUBSCRIPTION:
                self.follow_subscription(cur, event)
        subscriptions: list[Subscribed] | None = None
        for event in events:
            if event.kind == SUBSCRIPTION:
                continue
            team = event.data.get(TEAM_FIELD)
            if isinstance(team, str) and team:
                store.remember_team(cur, event.id, team)
            kinds = kinds_of(event.type, event.data)
            if not kinds:
                continue
            team = team if isinstance(team, str) and team else store.team_of(cur, event.id)
            if team is None:
                self.counts.without_team += 1
                continue
            if subscriptions is None:
                subscriptions = store.active_subscriptions(cur)
            site = batch.site_of(team)
            for kind in kinds:
                notice = Notice(kind, f"{event.id}:{event.version}", team, site, event.at)
                self.counts.queued += queue(cur, subscriptions, notice, public_event(event))
        return False

    def follow_subscription(self, cur: Any, event: EventEnvelope) -> None:
        """Keeps the component's copy of a subscription as its events say."""
        data = event.data
        if event.type == "Subscription.Created":
            current: dict[str, Any] = {
                "id": event.id,
                "scope": str(data["scope"]),
                "scope_id": str(data["scope_id"]),
                "generation": 1,
                "active": True,
                "since": event.at,
            }
        else:
            found = store.subscription_row(cur, event.id)
            if found is None:
                raise ValueError(f"{event.type} of subscription {event.id} before its creation")
            if found["version"] >= event.version:
                return
            current = found
        if event.type in ("Subscription.Created", "Subscription.Changed"):
            current.update(kinds=list(data["kinds"]), url=data["url"], email=data["email"])
        elif event.type == "Subscription.SecretRotated":
            current["generation"] = int(data["generation"])
        elif event.type == "Subscription.Removed":
            current["active"] = False
        current["version"] = event.version
        store.save_subscription(cur, current)


def public_event(event: EventEnvelope) -> dict[str, Any]:
    """The event as a receiver sees it."""
    return {
        "aggregate_id": event.id,
        "version": event.version,
        "type": event.type,
        "at": event.at,
        "actor": event.actor,
        "data": event.data,
    }
