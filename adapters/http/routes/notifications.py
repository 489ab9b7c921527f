"""Notification subscriptions (webhooks and e-mail) and, for admins, their deliveries, dead
letters and replays."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from adapters.http.auth import CurrentPrincipal
from adapters.http.routes.common import AppServices, IfMatch, parse_id
from engine.notify.kinds import KINDS
from engine.services.notifications import SubscriptionSpec

router = APIRouter(tags=["notifications"])
Scope = Literal["team", "site"]
DeliveryStatus = Literal["pending", "sent", "dead"]
EXAMPLE: dict[str, Any] = {
    "scope": "team",
    "scope_id": "team-01",
    "kinds": ["alert.raised", "dispute.filed"],
    "url": "https://hooks.example.com/perfledger",
}


SHOWN: dict[str, Any] = {
    "id": "5b0c6a52-8d1e-4a3f-9a77-1f0e2d3c4b5a",
    **EXAMPLE,
    "email": None,
    "owner": "manager:mei",
    "active": True,
    "secret_generation": 1,
    "version": 1,
}
DELIVERY: dict[str, Any] = {
    "delivery_id": "0d5f1e4c-2b7a-5c1d-8e9f-3a4b5c6d7e8f",
    "subscription_id": SHOWN["id"],
    "event_key": "6f1c0d3e-8a51-5a43-9d8f-2f0d7a9c1b2e:1",
    "kind": "alert.raised",
    "channel": "webhook",
    "body": {"kind": "alert.raised", "team_id": "team-01", "event": {"type": "Alert.Raised"}},
    "status": "dead",
    "attempts": 8,
    "next_at": 0.0,
    "last_error": "the receiver answered 500",
    "created_at": 1796100000.0,
    "sent_at": None,
}


def answers(example: Any, status: int = 200) -> dict[int | str, dict[str, Any]]:
    """The example answer of a route, for the API docs."""
    return {status: {"content": {"application/json": {"example": example}}}}


class SubscriptionIn(BaseModel):
    """A team's or a site's events of some kinds, to a webhook and/or an e-mail address."""

    model_config = ConfigDict(
        extra="forbid", strict=True, json_schema_extra={"examples": [EXAMPLE]}
    )
    scope: Scope
    scope_id: str = Field(min_length=1, max_length=200)
    kinds: list[str] = Field(
        min_length=1, max_length=len(KINDS), description=f"any of: {', '.join(KINDS)}"
    )
    url: str | None = Field(
        default=None, max_length=2000, description="https, or http to loopback only"
    )
    email: str | None = Field(default=None, max_length=320)

    def spec(self) -> SubscriptionSpec:
        return SubscriptionSpec(self.scope, self.scope_id, self.kinds, self.url, self.email)


class SubscriptionChange(BaseModel):
    """New kinds and channels of a subscription (its scope stays)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    kinds: list[str] = Field(min_length=1, max_length=len(KINDS))
    url: str | None = Field(default=None, max_length=2000)
    email: str | None = Field(default=None, max_length=320)


def etag(answer: dict[str, Any], response: Response) -> dict[str, Any]:
    response.headers["ETag"] = str(answer["version"])
    return answer


@router.post(
    "/v1/subscriptions",
    status_code=201,
    responses=answers({**SHOWN, "secret": "9f2c" + "0" * 60}, 201),
)
def subscribe(
    body: SubscriptionIn, who: CurrentPrincipal, services: AppServices, response: Response
) -> dict[str, Any]:
    """Subscribes to a team's or a site's events; the answer carries the signing secret (keep
    it: it is shown again only by rotating it)."""
    answer = services.notifications.subscribe(who, body.spec())
    response.headers["Location"] = f"/v1/subscriptions/{answer['id']}"
    return etag(answer, response)


@router.get("/v1/subscriptions", responses=answers({"items": [SHOWN]}))
def list_subscriptions(who: CurrentPrincipal, services: AppServices) -> dict[str, Any]:
    """The subscriptions the caller may manage (as the delivery component applied them)."""
    return {"items": services.notifications.listing(who)}


@router.get("/v1/subscriptions/{subscription_id}", responses=answers(SHOWN))
def get_subscription(
    subscription_id: str, who: CurrentPrincipal, services: AppServices, response: Response
) -> dict[str, Any]:
    """One subscription (never its secret)."""
    return etag(services.notifications.get(who, parse_id(subscription_id)), response)


@router.put("/v1/subscriptions/{subscription_id}", responses=answers({**SHOWN, "version": 2}))
def change_subscription(
    subscription_id: str,
    body: SubscriptionChange,
    who: CurrentPrincipal,
    services: AppServices,
    version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """Replaces the subscription's kinds and channels."""
    spec = SubscriptionSpec("", "", body.kinds, body.url, body.email)
    answer = services.notifications.change(who, parse_id(subscription_id), spec, version)
    return etag(answer, response)


@router.post(
    "/v1/subscriptions/{subscription_id}/rotate-secret",
    responses=answers({**SHOWN, "secret_generation": 2, "version": 2, "secret": "1a7e" + "0" * 60}),
)
def rotate_secret(
    subscription_id: str,
    who: CurrentPrincipal,
    services: AppServices,
    version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """Moves the subscription to a new signing secret and answers it."""
    answer = services.notifications.rotate_secret(who, parse_id(subscription_id), version)
    return etag(answer, response)


@router.post(
    "/v1/subscriptions/{subscription_id}/remove",
    responses=answers({**SHOWN, "active": False, "version": 2}),
)
def remove_subscription(
    subscription_id: str,
    who: CurrentPrincipal,
    services: AppServices,
    version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """Stops the subscription (what is queued still goes; the trail keeps who stopped it)."""
    answer = services.notifications.remove(who, parse_id(subscription_id), version)
    return etag(answer, response)


@router.get(
    "/v1/subscriptions/{subscription_id}/deliveries", responses=answers({"items": [DELIVERY]})
)
def deliveries(
    subscription_id: str,
    who: CurrentPrincipal,
    services: AppServices,
    status: DeliveryStatus | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
) -> dict[str, Any]:
    """The subscription's deliveries, oldest first; status=dead lists its dead letters with
    the last error (admins)."""
    items = services.notifications.deliveries_of(who, parse_id(subscription_id), status, limit)
    return {"items": items}


@router.post(
    "/v1/subscriptions/{subscription_id}/dead-letters/replay", responses=answers({"replayed": 3})
)
def replay_all(
    subscription_id: str, who: CurrentPrincipal, services: AppServices
) -> dict[str, Any]:
    """Queues every dead letter of the subscription again (admins)."""
    return {"replayed": services.notifications.replay(who, parse_id(subscription_id), None)}


@router.post(
    "/v1/subscriptions/{subscription_id}/dead-letters/{delivery_id}/replay",
    responses=answers({"replayed": 1}),
)
def replay_one(
    subscription_id: str, delivery_id: str, who: CurrentPrincipal, services: AppServices
) -> dict[str, Any]:
    """Queues one dead letter again (admins); replayed 0 when it is not a dead letter."""
    replayed = services.notifications.replay(who, parse_id(subscription_id), delivery_id)
    return {"replayed": replayed}
